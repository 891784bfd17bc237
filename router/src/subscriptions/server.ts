import type { Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import {
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FormattedExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { SpanKind } from '@opentelemetry/api';
import {
  ErrorCode,
  eventTraceContext,
  IDENTITY_HEADER,
  inSpan,
  REQUEST_ID_HEADER,
  subscriptionFieldOf,
  type Identity,
  type Logger,
  type OperationMetrics,
  type ResultStream,
} from '@azora/kit';
import { AuthenticationError, type Authenticator } from '../auth/authenticate';
import type { RouterContext } from '../context';
import type { JudgeOperation } from '../pipeline';
import type { SubscriptionRoute } from './routing';

export interface SubscriptionLimits {
  maxSocketsPerUser: number;
  maxSocketsPerIp: number;
  maxSubscriptionsPerSocket: number;
  /** The largest frame a client may send; a larger one closes its socket (1009), nobody else's. */
  maxPayloadBytes: number;
  keepAliveMs: number;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  maxSocketsPerUser: 10,
  maxSocketsPerIp: 100,
  maxSubscriptionsPerSocket: 25,
  maxPayloadBytes: 64 * 1024,
  keepAliveMs: 12_000,
};

/** What the subscription server reads on every operation, so a hot-reloaded supergraph applies at once. */
export interface SubscriptionTopology {
  apiSchema: GraphQLSchema;
  routes: Map<string, SubscriptionRoute>;
  /** The subscription fields this supergraph cannot resolve (a reloaded one; start-up refuses such a supergraph). */
  violations: string[];
  subgraphUrl(name: string): string;
}

export interface SubscriptionServerOptions {
  httpServer: Server;
  path: string;
  apollo: ApolloServer<RouterContext>;
  authenticator: Authenticator;
  topology(): SubscriptionTopology;
  /** The same context an HTTP request gets, for this identity. */
  contextFor(identity: Identity, requestId: string, clientIp?: string): RouterContext;
  /** The operation pipeline HTTP requests go through too: guards, validation, limits, the policy, the rate limit. */
  judge: JudgeOperation;
  limits?: Partial<SubscriptionLimits>;
  /** Sockets, running subscriptions and delivered events are counted here. */
  metrics: Pick<OperationMetrics, 'websocketConnections' | 'subscriptionsActive' | 'subscriptionEvents'>;
  log: Logger;
}

interface SocketState {
  identity: Identity;
  ip: string;
  requestId: string;
  subscriptions: number;
  expiry?: NodeJS.Timeout;
}

const QUERY_CREDENTIALS = /[?&](access_token|token|api_?key)=/i;
const ID_SELECTION = (parse('{ id }').definitions[0] as OperationDefinitionNode).selectionSet;
const EVENT_ID_VARIABLE = (parse('query($__azoraId: ID!) { __typename }').definitions[0] as OperationDefinitionNode)
  .variableDefinitions![0]!;
const CLOSE = { forbidden: 4403, tooMany: 4429 } as const;

/** A router error as a socket sends it: its HTTP status and headers mean nothing there. */
function forSocket(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { nodes: error.nodes, extensions });
}

/** graphql-ws sends errors with `toJSON`; results of executeOperation carry plain objects, so make them errors again. */
const asErrors = (errors: readonly GraphQLFormattedError[]) =>
  errors.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions }));

/** Which variables a piece of a document uses, so a derived operation declares exactly those. */
function usedVariables(
  nodes: readonly (SelectionSetNode | FieldNode | FragmentDefinitionNode)[],
  definitions: readonly VariableDefinitionNode[],
) {
  const used = new Set<string>();
  for (const node of nodes) visit(node, { Variable: (v) => void used.add(v.name.value) });
  return definitions.filter((d) => used.has(d.variable.name.value));
}

/** Who the caller is, for sharing work between their subscriptions (never between different callers). */
const fingerprint = (identity: Identity) =>
  JSON.stringify([identity.kind, identity.userId, [...identity.roles].sort(), [...identity.scopes].sort()]);

type FeedItem =
  | { kind: 'result'; result: FormattedExecutionResult<Record<string, unknown>, unknown> }
  | { kind: 'failure'; error: unknown }
  | { kind: 'end' };

/**
 * One upstream subscription per (subgraph, operation, variables, caller), shared by every client socket that asks for
 * the same: thousands of screens watching one account cost one subscription to Mint. Each member has its own queue.
 */
class SharedUpstreams {
  private readonly feeds = new Map<string, { members: Set<(item: FeedItem) => void>; stop: () => void }>();

  join(key: string, connect: () => Client, query: string, variables: Record<string, unknown>) {
    let feed = this.feeds.get(key);
    if (!feed) {
      const client = connect();
      const events = client.iterate<Record<string, unknown>>({ query, variables });
      const members = new Set<(item: FeedItem) => void>();
      const broadcast = (item: FeedItem) => members.forEach((member) => member(item));
      let stopped = false;
      const created = {
        members,
        stop: () => {
          stopped = true;
          // A later subscriber with the same key starts a fresh upstream rather than joining one that is ending.
          if (this.feeds.get(key) === created) this.feeds.delete(key);
          void events.return?.();
        },
      };
      void (async () => {
        try {
          for (;;) {
            const next = await events.next();
            if (next.done || stopped) break;
            broadcast({ kind: 'result', result: next.value });
          }
          broadcast({ kind: 'end' });
        } catch (error) {
          broadcast({ kind: 'failure', error });
        } finally {
          if (this.feeds.get(key) === created) this.feeds.delete(key);
          await client.dispose();
        }
      })();
      feed = created;
      this.feeds.set(key, created);
    }
    const queue: FeedItem[] = [];
    let wake: (() => void) | undefined;
    const member = (item: FeedItem) => {
      queue.push(item);
      wake?.();
    };
    let interrupted = false;
    feed.members.add(member);
    const current = feed;
    return {
      next: async (): Promise<FeedItem> => {
        while (queue.length === 0 && !interrupted) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        return queue.shift() ?? { kind: 'end' };
      },
      /** Ends this member's wait at once: its client left while no event was coming. */
      interrupt: () => {
        interrupted = true;
        wake?.();
      },
      leave: () => {
        current.members.delete(member);
        if (current.members.size === 0) current.stop();
      },
    };
  }
}

/**
 * The router's own graphql-ws server on the GraphQL path: @apollo/gateway cannot run subscriptions, so the router
 * authenticates the socket like an HTTP request, judges each operation with the same validation and rule tree,
 * subscribes to the subgraph that owns the field (identity asserted in its connection_init), and for every event
 * reads the client's full selection — fields of any subgraph — through the gateway with the caller's identity.
 */
export function attachSubscriptionServer(options: SubscriptionServerOptions) {
  const limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...options.limits };
  const log = options.log;
  const perUser = new Map<string, number>();
  const perIp = new Map<string, number>();
  let inFlight = 0;
  let closing = false;
  const upstreams = new SharedUpstreams();
  const followUps = new Map<string, Promise<ExecutionResult | null>>();

  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: limits.maxPayloadBytes,
  });
  const count = (map: Map<string, number>, key: string, delta: number) => {
    const next = (map.get(key) ?? 0) + delta;
    if (next <= 0) map.delete(key);
    else map.set(key, next);
    return next;
  };

  /** Closes the socket when the credential expires, unless the client re-authenticates (a ping with a new token). */
  const armExpiry = (socket: WebSocket, state: SocketState) => {
    if (state.expiry) clearTimeout(state.expiry);
    if (!state.identity.expiresAt) return;
    const ms = Math.max(0, state.identity.expiresAt * 1000 - Date.now());
    state.expiry = setTimeout(() => socket.close(CLOSE.forbidden, 'Credential expired'), ms).unref();
  };

  const credentialsOf = (params: Record<string, unknown> | undefined) => {
    const authorization = typeof params?.authorization === 'string' ? params.authorization : undefined;
    const apiKey = typeof params?.apiKey === 'string' ? `ApiKey ${params.apiKey}` : undefined;
    return { authorization: authorization ?? apiKey };
  };

  const routeSubscription = async function* (
    args: ExecutionArgs,
    state: SocketState,
    left: AbortSignal,
  ): AsyncGenerator<ExecutionResult> {
    const topology = options.topology();
    const operation = getOperationAST(args.document, args.operationName) as OperationDefinitionNode;
    const root = operation.selectionSet.selections[0] as FieldNode;
    const route = topology.routes.get(root.name.value);
    if (!route) {
      yield {
        errors: [
          new GraphQLError(
            topology.violations.find((v) => v.startsWith(`Subscription.${root.name.value}:`)) ??
              `No subgraph serves Subscription.${root.name.value}`,
            {
              extensions: { code: ErrorCode.BAD_REQUEST },
            },
          ),
        ],
      };
      return;
    }
    const fragments = args.document.definitions.filter(
      (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION,
    );
    const variableDefinitions = operation.variableDefinitions ?? [];
    // To the owner: the field with the client's arguments, selecting only the id of each payload.
    const upstreamQuery = print({
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: 'subscription' as never,
          variableDefinitions: usedVariables([{ ...root, selectionSet: undefined } as FieldNode], variableDefinitions),
          selectionSet: {
            kind: Kind.SELECTION_SET,
            selections: [{ ...root, alias: undefined, directives: [], selectionSet: ID_SELECTION }],
          },
        },
      ],
    } as DocumentNode);
    // Per event, through the gateway: the lookup by id with the client's whole selection (and its fragments).
    const responseKey = root.alias?.value ?? root.name.value;
    const followUpQuery = print({
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: 'query' as never,
          name: { kind: Kind.NAME, value: 'SubscriptionEvent' },
          variableDefinitions: [
            ...usedVariables([root.selectionSet!, ...fragments], variableDefinitions),
            EVENT_ID_VARIABLE,
          ],
          selectionSet: {
            kind: Kind.SELECTION_SET,
            selections: [
              {
                kind: Kind.FIELD,
                alias: { kind: Kind.NAME, value: responseKey },
                name: { kind: Kind.NAME, value: route.lookupField },
                arguments: [
                  {
                    kind: Kind.ARGUMENT,
                    name: { kind: Kind.NAME, value: 'id' },
                    value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__azoraId' } },
                  },
                ],
                selectionSet: root.selectionSet,
              },
            ],
          },
        },
        ...fragments,
      ],
    } as DocumentNode);

    const context = args.contextValue as RouterContext;
    const variables = args.variableValues ?? {};
    const caller = fingerprint(state.identity);
    const feed = upstreams.join(
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
        const id = (item.result.data as Record<string, { id?: string } | null> | undefined)?.[root.name.value]?.id;
        if (!id) continue;
        inFlight += 1;
        // The delivery continues the trace of the event behind it (the subgraph sends its delivery span's traceparent
        // with the result): a child span, since this event is its one cause. The follow-up read's gateway, subgraph
        // and SQL spans hang under it, in the same trace as the change that emitted the event.
        const traceparent = (item.result.extensions as Record<string, unknown> | undefined)?.traceparent;
        const delivered = inSpan(
          `subscription ${root.name.value}`,
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
            // Subscribers with the same identity, operation and variables get one read of each event between them.
            const key = JSON.stringify([caller, followUpQuery, variables, id]);
            let read = followUps.get(key);
            if (!read) {
              read = options.apollo
                .executeOperation(
                  { query: followUpQuery, variables: { ...variables, __azoraId: id } },
                  // Delivering an event is not a client request: its read is not charged to the rate limit again.
                  {
                    contextValue: {
                      ...options.contextFor(state.identity, context.requestId, state.ip),
                      subscriptionEvent: true,
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
              followUps.set(key, read);
              // Shared only by the deliveries of this one event, which all arrive together from the shared upstream; a
              // later event about the same object must read it again.
              const forget = () => followUps.delete(key);
              read.then(forget, forget);
            }
            return read;
          },
        );
        try {
          const result = await delivered;
          if (result) yield result;
        } finally {
          inFlight -= 1;
        }
      }
    } finally {
      left.removeEventListener('abort', interrupt);
      feed.leave();
    }
  };

  /**
   * The routed subscription as graphql-ws runs it, counted while it runs. An async generator's `return()` waits until
   * the generator next yields, which for a quiet subscription is never: leaving also interrupts the wait for the
   * next event, so a client's unsubscribe (or closed socket) ends the upstream subscription at once.
   */
  const runSubscription = (args: ExecutionArgs, state: SocketState): ResultStream => {
    const field = subscriptionFieldOf(args);
    const left = new AbortController();
    const results = routeSubscription(args, state, left.signal);
    options.metrics.subscriptionsActive.inc({ field });
    let ended = false;
    const end = () => {
      left.abort();
      if (ended) return;
      ended = true;
      options.metrics.subscriptionsActive.dec({ field });
    };
    const stream: ResultStream = {
      async next() {
        const item = await results.next();
        if (item.done) end();
        else options.metrics.subscriptionEvents.inc({ field });
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
  };

  const disposable = useServer<Record<string, unknown>, { state: SocketState }>(
    {
      async onConnect(ctx) {
        const socket = ctx.extra.socket;
        const ip = ctx.extra.request.socket.remoteAddress ?? 'unknown';
        if (closing) return false;
        if (QUERY_CREDENTIALS.test(ctx.extra.request.url ?? '')) return false; // never in the URL
        let identity: Identity;
        try {
          identity = await options.authenticator.authenticate(credentialsOf(ctx.connectionParams), undefined, ip);
        } catch (error) {
          if (!(error instanceof AuthenticationError))
            log.error({ err: error }, 'subscription authentication unavailable');
          return false;
        }
        if (identity.kind === 'anonymous') return false;
        const userKey = identity.userId ?? identity.kind;
        if ((perUser.get(userKey) ?? 0) >= limits.maxSocketsPerUser || (perIp.get(ip) ?? 0) >= limits.maxSocketsPerIp) {
          socket.close(CLOSE.tooMany, 'Too many connections');
          return false;
        }
        count(perUser, userKey, 1);
        count(perIp, ip, 1);
        const state: SocketState = { identity, ip, requestId: crypto.randomUUID(), subscriptions: 0 };
        ctx.extra.state = state;
        armExpiry(socket, state);
        options.metrics.websocketConnections.inc();
        socket.once('close', () => options.metrics.websocketConnections.dec());
        return true;
      },
      async onPing(ctx, payload) {
        // Re-authentication: a ping carrying a fresh credential for the same caller extends the socket's life.
        const state = ctx.extra.state;
        if (!state || !payload || typeof payload.authorization !== 'string') return;
        const credentials = credentialsOf(payload);
        // graphql-ws answers a ping with a pong echoing its payload: the credential must not travel back.
        delete payload.authorization;
        delete payload.apiKey;
        try {
          const renewed = await options.authenticator.authenticate(credentials, undefined, state.ip);
          if (renewed.userId === state.identity.userId && renewed.kind === state.identity.kind) {
            state.identity = renewed;
            armExpiry(ctx.extra.socket, state);
          }
        } catch {
          // A bad renewal changes nothing; the old credential still expires on time.
        }
      },
      onClose(ctx) {
        const state = ctx.extra.state;
        if (!state) return;
        if (state.expiry) clearTimeout(state.expiry);
        count(perUser, state.identity.userId ?? state.identity.kind, -1);
        count(perIp, state.ip, -1);
      },
      async onSubscribe(ctx, _id, payload) {
        const state = ctx.extra.state!;
        if (state.subscriptions >= limits.maxSubscriptionsPerSocket) {
          return [
            new GraphQLError('Too many subscriptions on this socket', { extensions: { code: ErrorCode.RATE_LIMITED } }),
          ];
        }
        const { apiSchema } = options.topology();
        const contextValue = { ...options.contextFor(state.identity, state.requestId, state.ip), socketState: state };
        const verdict = await options.judge(
          {
            schema: apiSchema,
            source: payload.query,
            operationName: payload.operationName,
            variables: payload.variables,
          },
          contextValue,
          'websocket',
        );
        if (verdict.errors) return verdict.errors.map(forSocket);
        const document = verdict.document;
        state.subscriptions += 1;
        return {
          schema: apiSchema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
      },
      onComplete(ctx) {
        const state = ctx.extra.state;
        if (state) state.subscriptions -= 1;
      },
      subscribe: (args) => runSubscription(args, (args.contextValue as { socketState: SocketState }).socketState),
      // Queries and mutations over the socket run exactly as over HTTP.
      async execute(args) {
        const context = args.contextValue as RouterContext;
        const response = await options.apollo.executeOperation(
          {
            query: print(args.document),
            variables: args.variableValues ?? {},
            operationName: args.operationName ?? undefined,
          },
          { contextValue: context },
        );
        if (response.body.kind !== 'single')
          return { errors: [new GraphQLError('Incremental delivery is not supported')] };
        const { data, errors } = response.body.singleResult;
        return { data: data ?? null, ...(errors?.length ? { errors: asErrors(errors) } : {}) } as ExecutionResult;
      },
    },
    wss,
    limits.keepAliveMs,
  );

  return {
    /** Refuses new sockets, lets in-flight deliveries finish (up to 5 s), then closes every socket with 1001. */
    async close(): Promise<void> {
      closing = true;
      const deadline = Date.now() + 5_000;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await disposable.dispose();
    },
  };
}
