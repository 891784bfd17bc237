import type { ApolloServer } from '@apollo/server';
import {
  GraphQLError,
  print,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { SpanKind } from '@opentelemetry/api';
import {
  ErrorCode,
  eventTraceContext,
  IDENTITY_HEADER,
  inSpan,
  REQUEST_ID_HEADER,
  subscriptionFieldOf,
  type Identity,
  type OperationMetrics,
  type ResultStream,
} from '@azora/kit';
import type { RouterContext } from '../context';
import { deriveOperations, EVENT_ID_VARIABLE_NAME, subscriptionRoot } from './derived-operations';
import type { SubscriptionRoute } from './routing';
import { fingerprint, SharedUpstreams } from './shared-upstreams';
import type { SocketState } from './socket-admission';

/** What the subscription server reads on every operation, so a hot-reloaded supergraph applies at once. */
export interface SubscriptionTopology {
  apiSchema: GraphQLSchema;
  routes: Map<string, SubscriptionRoute>;
  /** The subscription fields this supergraph cannot resolve (a reloaded one; start-up refuses such a supergraph). */
  violations: string[];
  subgraphUrl(name: string): string;
}

export interface RoutedSubscriptionsOptions {
  apollo: ApolloServer<RouterContext>;
  topology(): SubscriptionTopology;
  /** The same context an HTTP request gets, for this identity. */
  contextFor(identity: Identity, requestId: string, clientIp?: string): RouterContext;
  metrics: Pick<OperationMetrics, 'subscriptionsActive' | 'subscriptionEvents'>;
}

/** graphql-ws sends errors with `toJSON`; results of executeOperation carry plain objects, so make them errors again. */
export const asErrors = (errors: readonly GraphQLFormattedError[]) =>
  errors.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions }));

/**
 * Runs a client's subscription: subscribes to the subgraph that owns the field (identity asserted in its
 * connection_init, one upstream shared by identical subscriptions of one caller), and for every event reads the
 * client's full selection — fields of any subgraph — through the gateway with the caller's identity.
 */
export class RoutedSubscriptions {
  private readonly upstreams = new SharedUpstreams();
  private readonly followUps = new Map<string, Promise<ExecutionResult | null>>();
  /** Deliveries being read now; shutdown waits for them. */
  inFlight = 0;

  constructor(private readonly options: RoutedSubscriptionsOptions) {}

  /**
   * The routed subscription as graphql-ws runs it, counted while it runs. An async generator's `return()` waits until
   * the generator next yields, which for a quiet subscription is never: leaving also interrupts the wait for the
   * next event, so a client's unsubscribe (or closed socket) ends the upstream subscription at once.
   */
  run(args: ExecutionArgs, state: SocketState): ResultStream {
    const { metrics } = this.options;
    const field = subscriptionFieldOf(args);
    const left = new AbortController();
    const results = this.route(args, state, left.signal);
    metrics.subscriptionsActive.inc({ field });
    let ended = false;
    const end = () => {
      left.abort();
      if (ended) return;
      ended = true;
      metrics.subscriptionsActive.dec({ field });
    };
    const stream: ResultStream = {
      async next() {
        const item = await results.next();
        if (item.done) end();
        else metrics.subscriptionEvents.inc({ field });
        return item;
      },
      async return() {
        end();
        return results.return(undefined);
      },
      async throw(error: unknown) {
        end();
        return results.throw(error);
      },
      [Symbol.asyncIterator]() {
        return stream;
      },
    };
    return stream;
  }

  private async *route(args: ExecutionArgs, state: SocketState, left: AbortSignal): AsyncGenerator<ExecutionResult> {
    const { apollo, contextFor } = this.options;
    const topology = this.options.topology();
    const { root } = subscriptionRoot(args.document, args.operationName);
    const route = topology.routes.get(root.name.value);
    if (!route) {
      const message =
        topology.violations.find((v) => v.startsWith(`Subscription.${root.name.value}:`)) ??
        `No subgraph serves Subscription.${root.name.value}`;
      yield { errors: [new GraphQLError(message, { extensions: { code: ErrorCode.BAD_REQUEST } })] };
      return;
    }
    const { field, upstreamQuery, fieldQuery, followUpQuery } = deriveOperations(
      args.document,
      args.operationName,
      route.lookupField,
    );
    const judgedField = print(fieldQuery);
    const context = args.contextValue as RouterContext;
    const variables = args.variableValues ?? {};
    const caller = fingerprint(state.identity);
    const feed = this.upstreams.join(
      JSON.stringify([route.subgraph, upstreamQuery, variables, caller]),
      () =>
        createClient({
          url: topology.subgraphUrl(route.subgraph).replace(/^http/, 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: async () => ({
            [IDENTITY_HEADER]: await context.assertion(),
            [REQUEST_ID_HEADER]: context.requestId,
          }),
          lazy: true,
          retryAttempts: 0,
        }),
      upstreamQuery,
      variables,
    );
    const interrupt = () => feed.interrupt();
    if (left.aborted) interrupt();
    left.addEventListener('abort', interrupt, { once: true });
    try {
      for (;;) {
        const item = await feed.next();
        if (item.kind === 'end') return;
        if (item.kind === 'failure') {
          // The owner refused the subscription (its own rules) or went away: tell the client, end this operation.
          const errors = Array.isArray(item.error)
            ? asErrors(item.error as GraphQLFormattedError[])
            : [
                new GraphQLError(`Subgraph "${route.subgraph}" is unavailable`, {
                  extensions: { code: ErrorCode.DOWNSTREAM_UNAVAILABLE, serviceName: route.subgraph },
                }),
              ];
          yield { errors };
          return;
        }
        if (item.result.errors?.length) {
          yield { errors: asErrors(item.result.errors) };
          continue;
        }
        const id = (item.result.data as Record<string, { id?: string } | null> | undefined)?.[field]?.id;
        if (!id) continue;
        this.inFlight += 1;
        // The delivery continues the trace of the event behind it (the subgraph sends its delivery span's traceparent
        // with the result): a child span, since this event is its one cause. The follow-up read's gateway, subgraph
        // and SQL spans hang under it, in the same trace as the change that emitted the event.
        const traceparent = (item.result.extensions as Record<string, unknown> | undefined)?.traceparent;
        const delivered = inSpan(
          `subscription ${field}`,
          {
            kind: SpanKind.SERVER,
            attributes: {
              'graphql.operation.type': 'subscription',
              'azora.service': 'router',
              'azora.subgraph': route.subgraph,
            },
          },
          eventTraceContext({ traceparent: typeof traceparent === 'string' ? traceparent : undefined }),
          async () => {
            // Subscribers with the same identity (as it is now: a renewal may change it), subscription field,
            // operation and variables get one read of each event between them.
            const key = JSON.stringify([fingerprint(state.identity), judgedField, followUpQuery, variables, id]);
            let read = this.followUps.get(key);
            if (!read) {
              read = apollo
                .executeOperation(
                  { query: followUpQuery, variables: { ...variables, [EVENT_ID_VARIABLE_NAME]: id } },
                  // Delivering an event is not a client request: its read is not charged to the rate limit again,
                  // and the subscription field's rule judges it, with the caller's identity as it is now.
                  {
                    contextValue: {
                      ...contextFor(state.identity, context.requestId, state.ip),
                      subscriptionEvent: {
                        field: { document: fieldQuery, variables },
                        lookupField: route.lookupField,
                      },
                    },
                  },
                )
                .then((response) => {
                  if (response.body.kind !== 'single') return null;
                  const { data, errors } = response.body.singleResult;
                  return {
                    data: data ?? null,
                    ...(errors?.length ? { errors: asErrors(errors) } : {}),
                  } as ExecutionResult;
                });
              this.followUps.set(key, read);
              // Shared only by the deliveries of this one event, which all arrive together from the shared upstream; a
              // later event about the same object must read it again.
              const forget = () => this.followUps.delete(key);
              read.then(forget, forget);
            }
            return read;
          },
        );
        try {
          const result = await delivered;
          if (result) yield result;
        } finally {
          this.inFlight -= 1;
        }
      }
    } finally {
      left.removeEventListener('abort', interrupt);
      feed.leave();
    }
  }
}
