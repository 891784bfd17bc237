import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import express from 'express';
import { parse } from 'graphql';
import { rule } from 'graphql-shield';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { loadSubgraphDefinition } from '@azora/kit';
import { collect, connectWs, startPlatform, until, type Platform, type SignedIn } from '@azora/testing';
import type { RunningRouter } from '../src';
import type { Policy } from '../src/auth/policy';
import { allow, forbidden, role } from '../src/auth/rules';

/*
 * The read that delivers a subscription event goes through a Query lookup (`note(id:)` here), but the client
 * subscribed to the subscription field: that field's rule judges each delivery, not the lookup's. The fixture subgraph
 * serves HTTP and graphql-ws on one port, as real subgraphs do; its lookup is for admins only, its subscription field
 * for any person.
 */
const typeDefs = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
  """A posted note."""
  type Note @key(fields: "id") {
    """Its id."""
    id: ID!
    """What it says."""
    text: String!
    """What only admins may read."""
    secret: String!
  }
  type Query {
    """A note by its id (admins only: the router's policy below)."""
    note("""The note's id.""" id: ID!): Note
  }
  type Subscription {
    """Every note as it is posted."""
    notePosted: Note!
  }
`;

interface NotesSubgraph {
  name: string;
  url: string;
  typeDefs: string;
  /** Resolves once `count` upstream subscriptions are running at the subgraph. */
  subscribed(count: number): Promise<void>;
  /** Resolves once no upstream subscription runs (the previous test's has ended). */
  idle(): Promise<void>;
  post(id: string, text: string): void;
  stop(): Promise<void>;
}

async function startNotesSubgraph(): Promise<NotesSubgraph> {
  const notes = new Map<string, { id: string; text: string; secret: string }>();
  const listeners = new Set<(note: { id: string }) => void>();
  const schema = buildSubgraphSchema([
    {
      typeDefs: parse(typeDefs),
      resolvers: {
        Query: { note: (_: unknown, { id }: { id: string }) => notes.get(id) ?? null },
        Subscription: {
          notePosted: {
            // A plain async iterator of the notes posted while it runs.
            subscribe: () => {
              const queue: { id: string }[] = [];
              let wake: (() => void) | undefined;
              let done = false;
              const listener = (note: { id: string }) => {
                queue.push(note);
                wake?.();
              };
              listeners.add(listener);
              const iterator: AsyncIterableIterator<{ notePosted: { id: string } }> = {
                async next() {
                  while (!queue.length && !done) await new Promise<void>((resolve) => (wake = resolve));
                  if (done) return { done: true, value: undefined };
                  return { done: false, value: { notePosted: queue.shift()! } };
                },
                async return() {
                  done = true;
                  listeners.delete(listener);
                  wake?.();
                  return { done: true, value: undefined };
                },
                [Symbol.asyncIterator]: () => iterator,
              };
              return iterator;
            },
          },
        },
      } as never,
    },
  ]);
  const apollo = new ApolloServer({
    schema,
    csrfPrevention: false,
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  const server = createServer(app);
  const ws = useServer({ schema }, new WebSocketServer({ server, path: '/graphql' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name: 'notes',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    typeDefs,
    subscribed: async (count) => {
      await until(`${count} upstream subscriptions`, async () => listeners.size >= count);
    },
    idle: async () => {
      await until('no upstream subscription', async () => listeners.size === 0);
    },
    post: (id, text) => {
      notes.set(id, { id, text, secret: `secret of ${id}` });
      for (const listener of listeners) listener({ id });
    },
    stop: async () => {
      await ws.dispose();
      await apollo.stop();
      server.close();
    },
  };
}

describe("a subscription event's delivery is judged by the subscription field's own rule", () => {
  let platform: Platform;
  let notes: NotesSubgraph;
  let router: RunningRouter;
  let reader: SignedIn;
  /** Whether the subscription field's rule allows, for the delivery test: a rule whose answer changes. */
  let open = true;

  beforeAll(async () => {
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: [loadSubgraphDefinition('aegis')] });
    notes = await startNotesSubgraph();
    // This router serves only the notes (people sign up through the platform's own router), so its policy is theirs.
    const policy: Policy = {
      Query: { note: role('admin') },
      Subscription: {
        notePosted: rule({ cache: 'no_cache' })((_parent, _args, context: { identity: { kind: string } }) =>
          context.identity.kind === 'user' && open ? true : forbidden('notes are closed'),
        ),
      },
      Note: { id: allow, text: allow, secret: role('admin') },
    };
    router = await platform.startRouter({ supergraph: platform.compose({ extra: [notes] }), policy });
    reader = await platform.signUp('note-reader');
  });
  afterAll(async () => {
    await router?.stop();
    await notes?.stop();
    await platform?.stop();
  });

  it('delivers to a person although the Query lookup it is read through is for admins only', async () => {
    const client = connectWs(router.url, { authorization: `Bearer ${reader.accessToken}` });
    try {
      await notes.idle();
      const live = collect(client, 'subscription { posted: notePosted { id text } }');
      await notes.subscribed(1);
      notes.post('n1', 'hello');
      expect(await live.until(1)).toEqual([{ data: { posted: { id: 'n1', text: 'hello' } } }]);
      live.unsubscribe();
    } finally {
      await client.dispose();
    }
  });

  it("still judges the client's selection field by field, and the lookup stays closed over HTTP", async () => {
    const overHttp = await fetch(router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...reader.headers },
      body: JSON.stringify({ query: '{ note(id: "n1") { id } }' }),
    });
    expect(((await overHttp.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'FORBIDDEN',
    );
    const client = connectWs(router.url, { authorization: `Bearer ${reader.accessToken}` });
    try {
      const refused = collect(client, 'subscription { notePosted { id secret } }');
      await refused.until(1);
      expect(refused.failure()).toEqual([
        expect.objectContaining({ extensions: { code: 'FORBIDDEN' }, message: expect.stringContaining('Note.secret') }),
      ]);
    } finally {
      await client.dispose();
    }
  });

  it('evaluates the rule for every delivery: once it stops allowing, events are refused', async () => {
    const client = connectWs(router.url, { authorization: `Bearer ${reader.accessToken}` });
    try {
      await notes.idle();
      const live = collect(client, 'subscription { notePosted { id } }');
      await notes.subscribed(1);
      notes.post('n2', 'first');
      expect(await live.until(1)).toEqual([{ data: { notePosted: { id: 'n2' } } }]);
      open = false;
      notes.post('n3', 'second');
      const [, refused] = await live.until(2);
      expect(refused?.data ?? null).toBeNull();
      expect(refused?.errors).toEqual([
        expect.objectContaining({
          message: expect.stringContaining('Subscription.notePosted'),
          extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
        }),
      ]);
      live.unsubscribe();
    } finally {
      open = true;
      await client.dispose();
    }
  });
});
