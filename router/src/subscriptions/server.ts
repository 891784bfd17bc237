import type { Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { GraphQLError, print, type ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ErrorCode, type Identity, type Logger, type OperationMetrics } from '@azora/kit';
import type { Authenticator } from '../auth/authenticate';
import type { RouterContext } from '../context';
import type { JudgeOperation } from '../pipeline';
import { asErrors, RoutedSubscriptions, type SubscriptionTopology } from './routed-subscription';
import { SocketAdmission, type SocketLimits, type SocketState } from './socket-admission';

export type { SubscriptionTopology } from './routed-subscription';

export interface SubscriptionLimits extends SocketLimits {
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

/** A router error as a socket sends it: its HTTP status and headers mean nothing there. */
function forSocket(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { nodes: error.nodes, extensions });
}

/**
 * The router's own graphql-ws server on the GraphQL path: @apollo/gateway cannot run subscriptions. Sockets are
 * admitted like HTTP requests are authenticated (socket-admission.ts), each operation is judged by the same pipeline
 * as over HTTP (router/src/pipeline), subscriptions are routed to the subgraph that owns them (routed-subscription.ts),
 * and queries and mutations over the socket run through Apollo Server exactly as over HTTP.
 */
export function attachSubscriptionServer(options: SubscriptionServerOptions) {
  const limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...options.limits };
  const admission = new SocketAdmission({
    authenticator: options.authenticator,
    limits,
    metrics: options.metrics,
    log: options.log,
  });
  const subscriptions = new RoutedSubscriptions(options);
  let closing = false;

  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: limits.maxPayloadBytes,
  });

  const disposable = useServer<Record<string, unknown>, { state: SocketState }>(
    {
      async onConnect(ctx) {
        if (closing) return false;
        const state = await admission.connect(ctx.extra.socket, ctx.extra.request, ctx.connectionParams);
        if (!state) return false;
        ctx.extra.state = state;
        return true;
      },
      async onPing(ctx, payload) {
        const state = ctx.extra.state;
        if (state && payload) await admission.renew(ctx.extra.socket, state, payload);
      },
      onClose(ctx) {
        if (ctx.extra.state) admission.disconnect(ctx.extra.state);
      },
      async onSubscribe(ctx, _id, payload) {
        const state = ctx.extra.state!;
        if (!admission.hasRoomFor(state)) {
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
        state.subscriptions += 1;
        return {
          schema: apiSchema,
          document: verdict.document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
      },
      onComplete(ctx) {
        const state = ctx.extra.state;
        if (state) state.subscriptions -= 1;
      },
      subscribe: (args) => subscriptions.run(args, (args.contextValue as { socketState: SocketState }).socketState),
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
      while (subscriptions.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await disposable.dispose();
    },
  };
}
