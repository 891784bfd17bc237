import { Counter, Gauge, Histogram } from 'prom-client';
import { createOperationMetrics } from '@azora/kit';

/**
 * The router's metrics: the kit's operation metrics (`azora_router_*`, plus `azora_ready` and process metrics) and
 * the fetches to each subgraph. Labels are bounded: no user ids, no raw queries.
 */
export function createRouterMetrics(ready: () => Promise<boolean>) {
  const operations = createOperationMetrics('azora_router', { service: 'router' }, ready);
  return {
    ...operations,
    subgraphFetchDuration: new Histogram({
      name: 'azora_router_subgraph_fetch_duration_seconds',
      help: 'Time for one fetch from the router to a subgraph, by subgraph and outcome (ok | error: refused, timed out, not GraphQL).',
      labelNames: ['subgraph', 'outcome'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [operations.registry],
    }),
    subgraphRetries: new Counter({
      name: 'azora_router_subgraph_retries_total',
      help: 'Subgraph fetches retried, by subgraph.',
      labelNames: ['subgraph'] as const,
      registers: [operations.registry],
    }),
    circuitState: new Gauge({
      name: 'azora_router_circuit_state',
      help: 'Circuit breaker per subgraph: 0 closed, 1 open, 2 half-open (probing).',
      labelNames: ['subgraph'] as const,
      registers: [operations.registry],
    }),
    replicaHealthy: new Gauge({
      name: 'azora_router_subgraph_replica_healthy',
      help: 'Whether a subgraph replica passes its health checks (1) or not (0).',
      labelNames: ['subgraph', 'replica'] as const,
      registers: [operations.registry],
    }),
  };
}
export type RouterMetrics = ReturnType<typeof createRouterMetrics>;
