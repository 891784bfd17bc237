import type { RunningRouter } from '@azora/router';
import {
  policyAllowing,
  seedUsers,
  startFixtureSubgraph,
  startPlatform,
  type FixtureSubgraph,
  type Platform,
} from '@azora/testing';

/** Small limits, so each bad request is easy to write; a rate budget large enough never to interfere. */
const LIMITS = {
  AZORA_LIMIT_MAX_DEPTH: '6',
  AZORA_LIMIT_MAX_ALIASES: '3',
  AZORA_LIMIT_MAX_DIRECTIVES: '3',
  AZORA_LIMIT_MAX_TOKENS: '200',
  AZORA_LIMIT_MAX_DOCUMENT_BYTES: '2000',
  AZORA_LIMIT_MAX_COST: '500',
  AZORA_LIMIT_MAX_PAGE_SIZE: '50',
  AZORA_MAX_BODY_BYTES: '4096',
  AZORA_RATE_LIMIT_CAPACITY: '1000000',
};

const NORMAL = '{ users(first: 2) { edges { node { email accounts { currency } } } } }';

/** The platform admin's credentials, sent with every request here: listing users is theirs alone. */
let admin: Record<string, string> = {};

interface Raw {
  status: number;
  headers: Headers;
  body: any;
}

async function send(url: string, init: RequestInit & { search?: Record<string, string> } = {}): Promise<Raw> {
  const target = new URL(url);
  for (const [k, v] of Object.entries(init.search ?? {})) target.searchParams.set(k, v);
  const response = await fetch(target, { ...init, headers: { ...admin, ...(init.headers as Record<string, string>) } });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`non-JSON ${response.status}: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

function expectRefused(response: Raw, status: number, code: string): Record<string, any> {
  expect({ status: response.status, code: response.body.errors?.[0]?.extensions?.code }).toEqual({ status, code });
  expect(response.body.data ?? undefined).toBeUndefined();
  return response.body.errors[0];
}

describe('abuse protection at the router', () => {
  let platform: Platform;
  let url: string;

  /** After every refusal: the router still serves an ordinary request. */
  async function expectStillServes(routerUrl = url): Promise<void> {
    const { status, body } = await post(routerUrl, { query: NORMAL });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.users.edges.length).toBeGreaterThan(0);
  }

  beforeAll(async () => {
    platform = await startPlatform({
      dialect: 'sqlite',
      subgraphs: ['aegis', 'mint', 'forge'],
      router: { env: LIMITS },
    });
    url = platform.routerUrl;
    admin = (await platform.admin()).headers;
    await seedUsers(platform, 3, 'protect');
  });
  afterAll(() => platform?.stop());

  describe('operation limits', () => {
    it('refuses a query deeper than the limit, counted through fragments', async () => {
      const deep = '{ users(first: 1) { edges { node { accounts { owner { accounts { owner { email } } } } } } } }';
      expect(expectRefused(await post(url, { query: deep }), 400, 'OPERATION_LIMIT_EXCEEDED').extensions.limit).toBe(
        'depth',
      );
      const viaFragments = `
        query { users(first: 1) { edges { node { ...A } } } }
        fragment A on User { accounts { ...B } }
        fragment B on Account { owner { accounts { owner { email } } } }`;
      expectRefused(await post(url, { query: viaFragments }), 400, 'OPERATION_LIMIT_EXCEEDED');
      await expectStillServes();
    });

    it('is not fooled by a fragment named __schema', async () => {
      const disguised = `
        query { users(first: 1) { edges { node { ...__schema } } } }
        fragment __schema on User { accounts { owner { accounts { owner { email } } } } }`;
      expect(
        expectRefused(await post(url, { query: disguised }), 400, 'OPERATION_LIMIT_EXCEEDED').extensions.limit,
      ).toBe('depth');
      await expectStillServes();
    });

    it('refuses too many aliases', async () => {
      const aliases =
        '{ a: users(first: 1) { edges { cursor } } b: users(first: 1) { edges { cursor } } c: users(first: 1) { edges { cursor } } d: users(first: 1) { edges { cursor } } }';
      expect(expectRefused(await post(url, { query: aliases }), 400, 'OPERATION_LIMIT_EXCEEDED').extensions.limit).toBe(
        'aliases',
      );
      await expectStillServes();
    });

    it('refuses too many directives', async () => {
      const directives =
        '{ users(first: 1) @include(if: true) { edges @include(if: true) { cursor @include(if: true) node @include(if: true) { id } } } }';
      expect(
        expectRefused(await post(url, { query: directives }), 400, 'OPERATION_LIMIT_EXCEEDED').extensions.limit,
      ).toBe('directives');
      await expectStillServes();
    });

    it('refuses too many tokens before parsing', async () => {
      const tokens = `{ users(first: 1) { edges { node { ${'id '.repeat(250)} } } } }`;
      expect(expectRefused(await post(url, { query: tokens }), 400, 'OPERATION_LIMIT_EXCEEDED').extensions.limit).toBe(
        'tokens',
      );
      await expectStillServes();
    });

    it('refuses a document larger than the limit, comments included', async () => {
      const big = `# ${'x'.repeat(2100)}\n${NORMAL}`;
      expect(expectRefused(await post(url, { query: big }), 400, 'OPERATION_LIMIT_EXCEEDED').extensions.limit).toBe(
        'document_size',
      );
      await expectStillServes();
    });

    it('prices lists by their `first` argument, read from the variables, and refuses a costly operation', async () => {
      const query = 'query($n: Int) { users(first: $n) { edges { node { accounts { balance { amount } } } } } }';
      // users: 1 + n * (edges 1 + node 1 + accounts (1 + 10 * balance 1)) = 1 + 13n
      const costly = await post(url, { query, variables: { n: 40 } });
      const error = expectRefused(costly, 400, 'OPERATION_LIMIT_EXCEEDED');
      expect(error.extensions.limit).toBe('cost');
      expect(error.message).toContain('521');
      const cheap = await post(url, { query, variables: { n: 5 } });
      expect(cheap.status).toBe(200);
      expect(cheap.body.errors).toBeUndefined();
    });

    it('caps `first` on connections, literal or variable', async () => {
      const literal = await post(url, { query: '{ users(first: 51) { edges { cursor } } }' });
      expect(expectRefused(literal, 400, 'BAD_USER_INPUT').extensions.limit).toBe('page_size');
      const variable = await post(url, {
        query: 'query($n: Int) { users(first: $n) { edges { cursor } } }',
        variables: { n: 99 },
      });
      expectRefused(variable, 400, 'BAD_USER_INPUT');
      await expectStillServes();
    });

    it('reports a badly typed variable as BAD_USER_INPUT, not as an internal error', async () => {
      const bad = await post(url, {
        query: 'query($n: Int) { users(first: $n) { edges { cursor } } }',
        variables: { n: 'many' },
      });
      expectRefused(bad, 400, 'BAD_USER_INPUT');
      await expectStillServes();
    });
  });

  describe('HTTP', () => {
    it('refuses batches while batching is off', async () => {
      expectRefused(await post(url, [{ query: NORMAL }, { query: NORMAL }]), 400, 'BAD_REQUEST');
      await expectStillServes();
    });

    it('answers 415 to a content type other than JSON', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/graphql']) {
        expectRefused(
          await send(url, { method: 'POST', headers: { 'content-type': type }, body: NORMAL }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
      }
      expectRefused(
        await send(url, { method: 'POST', body: JSON.stringify({ query: NORMAL }) }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      await expectStillServes();
    });

    it('answers 413 to a body over the size limit', async () => {
      const response = await post(url, { query: NORMAL, variables: { padding: 'x'.repeat(5000) } });
      expectRefused(response, 413, 'PAYLOAD_TOO_LARGE');
      await expectStillServes();
    });

    it('answers 400, never 500, to malformed JSON', async () => {
      for (const body of ['{"query": ', '[1, 2', 'null', '"just a string"', '{"query": 42}']) {
        const response = await send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect(response.status).toBe(400);
        expect(response.body.errors[0].extensions.code).toMatch(/^(BAD_REQUEST)$/);
      }
      await expectStillServes();
    });

    it('keeps CSRF prevention on: a GET without a preflight-forcing header is refused', async () => {
      const simple = await send(url, { method: 'GET', search: { query: NORMAL } });
      expectRefused(simple, 400, 'BAD_REQUEST');
      const preflighted = await send(url, {
        method: 'GET',
        search: { query: NORMAL },
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(preflighted.status).toBe(200);
      expect(preflighted.body.data.users.edges.length).toBeGreaterThan(0);
    });

    it('keeps introspection on outside production, so Sandbox works', async () => {
      const { status, body } = await post(url, { query: '{ __schema { queryType { name } } }' });
      expect(status).toBe(200);
      expect(body.data.__schema.queryType.name).toBe('Query');
    });
  });

  describe('with batching on', () => {
    let batching: RunningRouter;
    beforeAll(async () => {
      batching = await platform.startRouter({
        env: {
          ...LIMITS,
          AZORA_BATCHING: 'true',
          AZORA_BATCH_MAX_OPERATIONS: '2',
          AZORA_RATE_LIMIT_CAPACITY: '5000',
          AZORA_RATE_LIMIT_REFILL_PER_SECOND: '1',
        },
      });
    });

    it('counts every operation of a batch toward the limits and the rate', async () => {
      const deep = '{ users(first: 1) { edges { node { accounts { owner { accounts { owner { email } } } } } } } }';
      const cheap = '{ users(first: 1) { edges { cursor } } }'; // cost 1 + 1 * (edges 1) = 2
      const first = await post(batching.url, [{ query: cheap }]);
      const before = Number(first.headers.get('ratelimit-remaining'));
      // Apollo Server merges the operations' HTTP heads: the refused one makes the batch's status 400.
      const { body, headers } = await post(batching.url, [{ query: cheap }, { query: deep }]);
      expect(body[0].data.users.edges).toHaveLength(1);
      expect(body[1].errors[0].extensions.code).toBe('OPERATION_LIMIT_EXCEEDED');
      // The refused operation never reached the rate limiter; the cheap one was charged its cost, 2 (the bucket refills
      // 1 token a second meanwhile, hence the range).
      const charged = before - Number(headers.get('ratelimit-remaining'));
      expect(charged).toBeGreaterThanOrEqual(1);
      expect(charged).toBeLessThanOrEqual(2);
      const both = await post(batching.url, [{ query: cheap }, { query: cheap }]);
      expect(before - Number(both.headers.get('ratelimit-remaining'))).toBeGreaterThanOrEqual(charged + 3);
    });

    it('refuses a batch larger than the batch limit', async () => {
      expectRefused(
        await post(batching.url, [{ query: NORMAL }, { query: NORMAL }, { query: NORMAL }]),
        400,
        'BAD_REQUEST',
      );
      await expectStillServes(batching.url);
    });
  });

  describe('in production mode', () => {
    let production: RunningRouter;
    beforeAll(async () => {
      production = await platform.startRouter({ nodeEnv: 'production', env: LIMITS });
    });

    it('refuses introspection', async () => {
      const { status, body } = await post(production.url, { query: '{ __schema { queryType { name } } }' });
      expect(status).toBe(400);
      expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      await expectStillServes(production.url);
    });

    it('gives no field suggestions', async () => {
      const { status, body } = await post(production.url, {
        query: '{ users(first: 1) { edges { node { emial } } } }',
      });
      expect(status).toBe(400);
      expect(body.errors[0].message).not.toMatch(/did you mean/i);
      const development = await post(url, { query: '{ users(first: 1) { edges { node { emial } } } }' });
      expect(development.body.errors[0].message).toMatch(/did you mean/i);
      await expectStillServes(production.url);
    });
  });

  describe('a subgraph with a mutation and careless errors, behind the router', () => {
    const typeDefs = /* GraphQL */ `
      type Query {
        ping: String
        leak: String
        notFound: String
      }
      type Mutation {
        touch: String
      }
    `;
    let fixture: FixtureSubgraph;
    let development: RunningRouter;
    let production: RunningRouter;

    beforeAll(async () => {
      fixture = await startFixtureSubgraph('fixture', typeDefs, {
        Query: {
          ping: () => 'pong',
          leak: () => {
            throw Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432 (password=hunter2)'), {
              extensions: { code: 'DB_DOWN' },
            });
          },
          notFound: () => {
            const error = new Error('Course c-1 was not found') as Error & { extensions: object };
            error.extensions = { code: 'NOT_FOUND', id: 'c-1' };
            throw error;
          },
        },
        Mutation: { touch: () => 'touched' },
      });
      const supergraph = platform.compose({ extra: [fixture] });
      const policy = policyAllowing({ Query: ['ping', 'leak', 'notFound'], Mutation: ['touch'] });
      development = await platform.startRouter({ supergraph, policy, nodeEnv: 'development' });
      production = await platform.startRouter({ supergraph, policy, nodeEnv: 'production' });
    });
    afterAll(() => fixture?.stop());

    it('refuses a mutation over GET and runs it over POST', async () => {
      const overGet = await send(development.url, {
        method: 'GET',
        search: { query: 'mutation { touch }' },
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(overGet.status).toBe(405);
      expect(overGet.body.errors[0].extensions.code).toBe('BAD_REQUEST');
      const overPost = await post(development.url, { query: 'mutation { touch }' });
      expect(overPost.body).toEqual({ data: { touch: 'touched' } });
    });

    it('masks errors in production: unknown codes become INTERNAL_SERVER_ERROR, known codes lose their internals', async () => {
      const leak = await post(production.url, { query: '{ ping leak }' });
      expect(leak.status).toBe(200);
      expect(leak.body.data).toEqual({ ping: 'pong', leak: null });
      expect(leak.body.errors).toEqual([
        { message: 'Internal server error', path: ['leak'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      ]);
      expect(JSON.stringify(leak.body)).not.toMatch(/hunter2|ECONNREFUSED|stacktrace/);

      const notFound = await post(production.url, { query: '{ notFound }' });
      const [error] = notFound.body.errors;
      expect(error.message).toBe('Course c-1 was not found');
      expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', id: 'c-1' });
      expect(error.extensions.stacktrace).toBeUndefined();
      expect(error.extensions.exception).toBeUndefined();
      expect(JSON.stringify(notFound.body)).not.toMatch(/\.ts:\d+|\.js:\d+/);

      const ok = await post(production.url, { query: '{ ping }' });
      expect(ok.body).toEqual({ data: { ping: 'pong' } });
    });
  });
});
