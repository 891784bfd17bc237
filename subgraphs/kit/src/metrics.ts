import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The metrics every subgraph exports. One registry per running subgraph, so several can share a process (tests,
 * the in-process launcher) without clashing. Labels are bounded: no ids, no raw queries.
 */
export interface SubgraphMetrics {
  registry: Registry;
  requests: Counter<'operation_type' | 'outcome'>;
  requestDuration: Histogram<'operation_type'>;
  requestStatements: Histogram<'operation_type'>;
  dbQueries: Counter;
  dbQueryDuration: Histogram;
  outboxPending: Gauge;
  eventsPublished: Counter;
}

export function createSubgraphMetrics(subgraph: string): SubgraphMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ subgraph });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'azora_subgraph_requests_total',
      help: 'GraphQL operations served by the subgraph, by operation type and outcome (ok | error).',
      labelNames: ['operation_type', 'outcome'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'azora_subgraph_request_duration_seconds',
      help: 'Time to serve one GraphQL operation in the subgraph.',
      labelNames: ['operation_type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    requestStatements: new Histogram({
      name: 'azora_subgraph_request_sql_statements',
      help: 'SQL statements one GraphQL operation issued (an N+1 shows up as a long tail).',
      labelNames: ['operation_type'],
      buckets: [0, 1, 2, 3, 5, 8, 13, 21, 50, 100],
      registers: [registry],
    }),
    dbQueries: new Counter({
      name: 'azora_db_queries_total',
      help: 'SQL statements sent to the subgraph database.',
      registers: [registry],
    }),
    dbQueryDuration: new Histogram({
      name: 'azora_db_query_duration_seconds',
      help: 'Time for one SQL statement.',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    outboxPending: new Gauge({
      name: 'azora_outbox_pending_events',
      help: 'Committed domain events not yet published to the event bus (the outbox backlog).',
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'azora_outbox_published_events_total',
      help: 'Domain events the outbox relay published to the event bus.',
      registers: [registry],
    }),
  };
}
