import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  graphql,
  GraphQLError,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { TypedDocumentNode } from '@azora/sdk';

/*
 * A small GraphQL server speaking the protocols the router speaks, to force what the real router cannot produce on
 * demand (dropped connections, 4403 credential expiries, refusals): graphql-transport-ws (graphql-ws, the library the
 * router's subscription server uses) and plain GraphQL over HTTP POST, on one port and path, as at the router.
 */

interface Tick {
  seq: number;
}
const TickType = new GraphQLObjectType<Tick>({
  name: 'Tick',
  fields: { seq: { type: new GraphQLNonNull(GraphQLInt) } },
});

export const TICKS = parse('subscription Ticks($after: String) { ticks(after: $after) { seq } }') as TypedDocumentNode<
  { ticks: Tick },
  { after?: string | null }
>;
export const TICK_COUNT = parse('query TickCount { tickCount }') as TypedDocumentNode<
  { tickCount: number },
  Record<string, never>
>;

/** A live event log the server streams from: every tick after the cursor, then new ones as they are published. */
class TickLog {
  readonly ticks: Tick[] = [];
  private waiting = new Set<() => void>();
  publish(): void {
    this.ticks.push({ seq: this.ticks.length + 1 });
    for (const wake of this.waiting) wake();
    this.waiting.clear();
  }
  async *after(after: number): AsyncGenerator<{ ticks: Tick }> {
    let seen = after;
    for (;;) {
      while (seen < this.ticks.length) yield { ticks: this.ticks[seen++]! };
      await new Promise<void>((resolve) => this.waiting.add(resolve));
    }
  }
}

export interface LiveServer {
  url: string;
  log: TickLog;
  /** `authorization` of every connection_init, in order. */
  connections: (string | undefined)[];
  /** Arguments of every subscription the server started, in order. */
  subscribes: Record<string, unknown>[];
  /** How many HTTP queries were answered. */
  httpQueries(): number;
  /** Drops every WebSocket connection, as a network failure or a router restart would. */
  drop(): void;
  /** Closes every WebSocket with 4403, as the router does when a socket's credential expires. */
  expire(): void;
  close(): Promise<void>;
}

export interface Refusals {
  /** Close the socket with 4403 for this authorization (graphql-ws's answer when onConnect returns false). */
  connection?: (authorization: string | undefined) => boolean;
  /** Answer the subscription UNAUTHENTICATED for this authorization, keeping the socket open. */
  subscription?: (authorization: string | undefined) => boolean;
  /** Awaited before a connection is accepted (connection_ack): holds it in "connecting" until it settles. */
  beforeAck?: () => Promise<void>;
}

export async function startLiveServer(refuse: Refusals = {}): Promise<LiveServer> {
  const log = new TickLog();
  const connections: (string | undefined)[] = [];
  const subscribes: Record<string, unknown>[] = [];
  let httpQueries = 0;
  const authorizationOf = (params: unknown) => (params as { authorization?: string } | undefined)?.authorization;
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: { tickCount: { type: new GraphQLNonNull(GraphQLInt), resolve: () => log.ticks.length } },
    }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: new GraphQLNonNull(TickType),
          args: { after: { type: GraphQLString } },
          subscribe: (_root, args: { after?: string | null }, context: { connectionParams?: unknown }) => {
            if (refuse.subscription?.(authorizationOf(context.connectionParams))) {
              throw new GraphQLError('The token has expired', { extensions: { code: 'UNAUTHENTICATED' } });
            }
            // Recorded here, where the stream's starting point is fixed: a tick published after this is delivered.
            subscribes.push({ ...args });
            // Like a live feed: from the cursor when there is one, else only what happens from now on.
            return log.after(args.after == null ? log.ticks.length : Number(args.after));
          },
        },
      },
    }),
  });
  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      const { query, variables, operationName } = JSON.parse(body);
      httpQueries++;
      const result = await graphql({ schema, source: query, variableValues: variables, operationName });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    });
  });
  const wss = new WebSocketServer({ server: http, path: '/graphql' });
  const server = useServer(
    {
      schema,
      context: (ctx) => ({ connectionParams: ctx.connectionParams }),
      onConnect: async (ctx) => {
        const authorization = authorizationOf(ctx.connectionParams);
        connections.push(authorization);
        await refuse.beforeAck?.();
        return !refuse.connection?.(authorization);
      },
    },
    wss,
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`,
    log,
    connections,
    subscribes,
    httpQueries: () => httpQueries,
    drop: () => wss.clients.forEach((socket) => socket.terminate()),
    expire: () => wss.clients.forEach((socket) => socket.close(4403, 'Credential expired')),
    close: async () => {
      await server.dispose();
      await new Promise((resolve) => wss.close(resolve));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
