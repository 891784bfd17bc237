import type { Server } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { subscribeTraced } from './event-stream';
import { IDENTITY_HEADER, verifyIdentityAssertion, type Identity } from './identity';
import type { Logger } from './logger';
import type { SubgraphMetrics } from './metrics';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';

export interface SubgraphSubscriptionsOptions {
  name: string;
  httpServer: Server;
  schema: GraphQLSchema;
  log: Logger;
  metrics: SubgraphMetrics;
  routerKey: KeyObject;
  /** One subscribe's context: each event's data is read afresh through it. */
  contextFor: (requestId: string, identity: Identity) => object;
}

/**
 * Subscriptions at `/graphql` over graphql-ws: the router subscribes here, proving who the caller is with the same
 * signed assertion as over HTTP. Returns the function that closes them all (1001, so the router resubscribes
 * elsewhere).
 */
export function serveSubscriptions(options: SubgraphSubscriptionsOptions): () => Promise<void> {
  const { schema, log, metrics } = options;
  const wsServer = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: 256 * 1024 });
  metrics.zeroSubscriptionFields(Object.keys(schema.getSubscriptionType()?.getFields() ?? {}));
  const cleanup = useServer<Record<string, unknown>, { identity: Identity; requestId: string }>(
    {
      schema,
      async onConnect(ctx) {
        const assertion = ctx.connectionParams?.[IDENTITY_HEADER];
        try {
          if (typeof assertion !== 'string') throw new Error('missing identity assertion');
          ctx.extra.identity = await verifyIdentityAssertion(assertion, options.routerKey);
          ctx.extra.requestId = requestIdFrom({
            [REQUEST_ID_HEADER]: String(ctx.connectionParams?.[REQUEST_ID_HEADER] ?? ''),
          });
          metrics.websocketConnections.inc();
          ctx.extra.socket.once('close', () => metrics.websocketConnections.dec());
          return true;
        } catch (error) {
          log.warn({ reason: (error as Error).message }, 'subscription refused');
          return false;
        }
      },
      context: (ctx) => options.contextFor(ctx.extra.requestId!, ctx.extra.identity!) as Record<string, unknown>,
      // Each event's result continues the event's trace, and tells the router its traceparent.
      subscribe: (args) => subscribeTraced(args, options.name, metrics),
    },
    wsServer,
  );
  return async () => {
    await cleanup.dispose();
  };
}
