import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The router's metrics. Labels are bounded: no user ids, no raw queries. */
export function createRouterMetrics() {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'router' });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'azora_router_requests_total',
      help: 'GraphQL operations served by the router, by operation type and outcome (ok | error).',
      labelNames: ['operation_type', 'outcome'] as const,
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'azora_router_request_duration_seconds',
      help: 'Time to serve one GraphQL operation at the router.',
      labelNames: ['operation_type'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    subgraphFetchDuration: new Histogram({
      name: 'azora_router_subgraph_fetch_duration_seconds',
      help: 'Time for one fetch from the router to a subgraph, by subgraph and outcome (ok | error).',
      labelNames: ['subgraph', 'outcome'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    subgraphRetries: new Counter({
      name: 'azora_router_subgraph_retries_total',
      help: 'Subgraph fetches retried, by subgraph.',
      labelNames: ['subgraph'] as const,
      registers: [registry],
    }),
    circuitState: new Gauge({
      name: 'azora_router_circuit_state',
      help: 'Circuit breaker per subgraph: 0 closed, 1 open, 2 half-open (probing).',
      labelNames: ['subgraph'] as const,
      registers: [registry],
    }),
    replicaHealthy: new Gauge({
      name: 'azora_router_subgraph_replica_healthy',
      help: 'Whether a subgraph replica passes its health checks (1) or not (0).',
      labelNames: ['subgraph', 'replica'] as const,
      registers: [registry],
    }),
  };
}
export type RouterMetrics = ReturnType<typeof createRouterMetrics>;
