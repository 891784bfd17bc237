import { Histogram } from 'prom-client';
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
  };
}
export type RouterMetrics = ReturnType<typeof createRouterMetrics>;
