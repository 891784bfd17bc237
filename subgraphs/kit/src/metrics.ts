import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ErrorCode } from './errors';
import type { Logger } from './logger';

/*
 * The metric catalogue (documented in docs/operations.md, used by docker/observability). Labels are bounded:
 * operation names are capped per process, subgraph names come from supergraph.yaml, and nothing carries an id,
 * a user or a raw query.
 */

/** Operation-name label values for a request that never resolved to an operation, an anonymous one, and overflow. */
export const OPERATION_INVALID = '_invalid';
export const OPERATION_ANONYMOUS = '_anonymous';
export const OPERATION_OTHER = '_other';

/**
 * Turns client-chosen operation names into a bounded label: the first `max` distinct names are kept, later new
 * ones count as `_other`. A client sending a fresh name per request therefore cannot grow the series without end.
 */
export class OperationNames {
  private readonly seen = new Set<string>();

  constructor(private readonly max = 100) {}

  label(name: string | null | undefined): string {
    if (!name) return OPERATION_ANONYMOUS;
    if (this.seen.has(name)) return name;
    if (this.seen.size >= this.max) return OPERATION_OTHER;
    this.seen.add(name);
    return name;
  }
}

/** Codes that mean the platform failed, not the caller: what error-ratio alerts watch. */
const SERVER_FAULTS = new Set<unknown>([ErrorCode.INTERNAL_SERVER_ERROR, ErrorCode.DOWNSTREAM_UNAVAILABLE, undefined]);

/** `ok`, `client_error` (the caller's mistake: bad input, not allowed, rate limited) or `server_error`. */
export function outcomeOf(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): string {
  if (!errors || errors.length === 0) return 'ok';
  return errors.some((e) => SERVER_FAULTS.has(e.extensions?.code)) ? 'server_error' : 'client_error';
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The relay polls every 100 ms, so lags start there; minutes mean a backlog or an outage. */
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface OperationMetrics {
  registry: Registry;
  requests: Counter<'operation_name' | 'operation_type' | 'outcome'>;
  requestDuration: Histogram<'operation_name' | 'operation_type'>;
  operationNames: OperationNames;
  /** graphql-ws sockets open now (authenticated ones: refused sockets close at once). */
  websocketConnections: Gauge;
  /** Subscriptions running now, by the `Subscription` field they subscribe to. */
  subscriptionsActive: Gauge<'field'>;
  /** Results sent on subscriptions, one per delivered event, by field. */
  subscriptionEvents: Counter<'field'>;
  /** Exports the subscription series of these `Subscription` fields at zero, so they exist before any traffic. */
  zeroSubscriptionFields(fields: Iterable<string>): void;
}

/** A registry with process metrics, the readiness gauge and the GraphQL operation metrics, named `<prefix>_…`. */
export function createOperationMetrics(
  prefix: 'azora_router' | 'azora_subgraph',
  defaultLabels: Record<string, string>,
  ready: () => Promise<boolean>,
): OperationMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(defaultLabels);
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'azora_ready',
    help: '1 when the process would answer /ready with 200, else 0 (evaluated at each scrape).',
    registers: [registry],
    async collect() {
      this.set((await ready()) ? 1 : 0);
    },
  });
  const subscriptionsActive = new Gauge({
    name: `${prefix}_subscriptions_active`,
    help: 'GraphQL subscriptions running now, by Subscription field.',
    labelNames: ['field'],
    registers: [registry],
  });
  const subscriptionEvents = new Counter({
    name: `${prefix}_subscription_events_total`,
    help: 'Results sent on GraphQL subscriptions (one per delivered event), by Subscription field.',
    labelNames: ['field'],
    registers: [registry],
  });
  return {
    websocketConnections: new Gauge({
      name: `${prefix}_websocket_connections`,
      help: 'graphql-ws WebSocket connections open now.',
      registers: [registry],
    }),
    subscriptionsActive,
    subscriptionEvents,
    zeroSubscriptionFields(fields) {
      for (const field of fields) {
        subscriptionsActive.inc({ field }, 0);
        subscriptionEvents.inc({ field }, 0);
      }
    },
    registry,
    requests: new Counter({
      name: `${prefix}_requests_total`,
      help: 'GraphQL operations served, by operation name, operation type and outcome (ok | client_error | server_error).',
      labelNames: ['operation_name', 'operation_type', 'outcome'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: `${prefix}_request_duration_seconds`,
      help: 'Time to serve one GraphQL operation, by operation name and type.',
      labelNames: ['operation_name', 'operation_type'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    operationNames: new OperationNames(),
  };
}

/**
 * Counts and times every GraphQL operation and logs the unexpected errors, at the router and in every subgraph.
 * The debug line carries the variables: the logger redacts secret-named keys in them.
 */
export function operationsPlugin<Context extends { log: Logger }>(
  metrics: OperationMetrics,
  /** Runs as the response goes out, with the operation's labels (subgraphs record their SQL statements here). */
  onFinished?: (labels: { operation_name: string; operation_type: string }, context: Context, seconds: number) => void,
): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request, contextValue }) {
      contextValue.log.debug({ operationName: request.operationName, variables: request.variables }, 'graphql request');
      const stopTimer = metrics.requestDuration.startTimer();
      let labels = { operation_name: OPERATION_INVALID, operation_type: 'unknown' };
      return {
        async didResolveOperation({ operation, operationName }) {
          labels = {
            operation_name: metrics.operationNames.label(operationName),
            operation_type: operation?.operation ?? 'unknown',
          };
        },
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (!code || code === ErrorCode.INTERNAL_SERVER_ERROR) {
              contextValue.log.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error');
            }
          }
        },
        async willSendResponse({ response, contextValue }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          metrics.requests.inc({ ...labels, outcome: outcomeOf(errors) });
          const seconds = stopTimer(labels);
          onFinished?.(labels, contextValue, seconds);
        },
      };
    },
  };
}

/** What the database pool looks like right now. */
export interface PoolStats {
  used: number;
  free: number;
  pendingAcquires: number;
}

export interface SubgraphMetrics extends OperationMetrics {
  dbQueries: Counter;
  dbQueryDuration: Histogram<'outcome'>;
  requestStatements: Histogram<'operation_name' | 'operation_type'>;
  outboxPending: Gauge;
  eventsPublished: Counter;
  /** Seconds from the transaction that recorded an event to the relay publishing it. */
  publishLag: Histogram;
  /** Seconds from an event's publication to one of this subgraph's consumers having handled it. */
  consumerLag: Histogram<'consumer'>;
  consumerFailures: Counter<'consumer'>;
  /** Where the pool gauges read from; set once the database is open. */
  watchPool(max: number, stats: () => PoolStats | undefined): void;
}

/** The metrics every subgraph exports. One registry per running subgraph, so several can share a process. */
export function createSubgraphMetrics(subgraph: string, ready: () => Promise<boolean>): SubgraphMetrics {
  const operations = createOperationMetrics('azora_subgraph', { subgraph }, ready);
  const registers = [operations.registry];
  let poolStats: () => PoolStats | undefined = () => undefined;
  const poolMax = new Gauge({
    name: 'azora_db_pool_max',
    help: 'Size limit of the database connection pool.',
    registers,
  });
  new Gauge({
    name: 'azora_db_pool_connections',
    help: 'Database connections by state: used (checked out), free (idle), pending (requests waiting for one).',
    labelNames: ['state'],
    registers,
    collect() {
      const stats = poolStats();
      if (!stats) return;
      this.set({ state: 'used' }, stats.used);
      this.set({ state: 'free' }, stats.free);
      this.set({ state: 'pending' }, stats.pendingAcquires);
    },
  });
  return {
    ...operations,
    dbQueries: new Counter({
      name: 'azora_db_queries_total',
      help: 'SQL statements sent to the subgraph database.',
      registers,
    }),
    dbQueryDuration: new Histogram({
      name: 'azora_db_query_duration_seconds',
      help: 'Time for one SQL statement, by outcome (ok | error).',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    }),
    requestStatements: new Histogram({
      name: 'azora_subgraph_request_sql_statements',
      help: 'SQL statements one GraphQL operation issued (an N+1 shows up as a long tail).',
      labelNames: ['operation_name', 'operation_type'],
      buckets: [0, 1, 2, 3, 5, 8, 13, 21, 50, 100],
      registers,
    }),
    outboxPending: new Gauge({
      name: 'azora_outbox_pending_events',
      help: 'Committed domain events not yet published to the event bus (the outbox backlog).',
      registers,
    }),
    eventsPublished: new Counter({
      name: 'azora_outbox_published_events_total',
      help: 'Domain events the outbox relay published to the event bus.',
      registers,
    }),
    publishLag: new Histogram({
      name: 'azora_outbox_publish_lag_seconds',
      help: 'Time from the transaction that recorded a domain event (outbox write) to its publication on the event bus.',
      buckets: LAG_BUCKETS,
      registers,
    }),
    consumerLag: new Histogram({
      name: 'azora_event_consumer_lag_seconds',
      help: "Time from a domain event's publication to a consumer of this subgraph having handled it, by consumer.",
      labelNames: ['consumer'],
      buckets: LAG_BUCKETS,
      registers,
    }),
    consumerFailures: new Counter({
      name: 'azora_event_consumer_failures_total',
      help: 'Domain events a consumer failed to handle (the bus delivers them again), by consumer.',
      labelNames: ['consumer'],
      registers,
    }),
    watchPool(max, stats) {
      poolMax.set(max);
      poolStats = stats;
    },
  };
}
