import { Counter, Gauge, Histogram } from 'prom-client';
import { createOperationMetrics } from '@azora/kit';

/**
 * Why a request was refused before it became an operation Apollo Server executes: the router's HTTP guards (with the
 * limit or error code they report), the credential check, and the requests Apollo Server refuses before or instead of
 * running an operation. A closed list, so the label stays bounded.
 */
const REFUSAL_REASONS = [
  'unauthenticated',
  'unsupported_media_type',
  'payload_too_large',
  'malformed_json',
  'batch_too_large',
  'batching_disabled',
  'document_size',
  'tokens',
  'document_not_trusted',
  'persisted_query_not_found',
  'persisted_query_not_supported',
  'csrf',
  'get_mutation',
  'bad_request',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * The router's metrics: the kit's operation metrics (`azora_router_*`, plus `azora_ready` and process metrics) and
 * the fetches to each subgraph. Labels are bounded: no user ids, no raw queries.
 */
export function createRouterMetrics(ready: () => Promise<boolean>) {
  const operations = createOperationMetrics('azora_router', { service: 'router' }, ready);
  const requestsRefused = new Counter({
    name: 'azora_router_requests_refused_total',
    help: 'GraphQL HTTP requests refused before any operation ran, by reason (415, 413, malformed JSON, untrusted document, ...).',
    labelNames: ['reason'] as const,
    registers: [operations.registry],
  });
  const rateLimited = new Counter({
    name: 'azora_router_rate_limited_total',
    help: 'Operations refused by the rate limiter (RATE_LIMITED), by transport (http | websocket).',
    labelNames: ['transport'] as const,
    registers: [operations.registry],
  });
  // Every series exists from the start at zero: rates and alerts see a refusal from the first one.
  for (const reason of REFUSAL_REASONS) requestsRefused.inc({ reason }, 0);
  for (const transport of ['http', 'websocket']) rateLimited.inc({ transport }, 0);
  return {
    ...operations,
    requestsRefused,
    rateLimited,
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
    subgraphFetchesDeduplicated: new Counter({
      name: 'azora_router_subgraph_fetches_deduplicated_total',
      help: 'Subgraph queries not sent because an identical one (same body, same caller) was in flight: its answer served them, by subgraph.',
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
