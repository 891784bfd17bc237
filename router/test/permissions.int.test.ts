import { generateAssertionKeys, IDENTITY_HEADER, privateKeyFromPem, signIdentityAssertion } from '@azora/kit';
import { graphql, startPlatform, testDialects, type Platform } from '@azora/testing';

const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.code;

describe.each(testDialects())('the access directives, enforced at the router on %s', (dialect) => {
  let platform: Platform;
  let learner: Awaited<ReturnType<Platform['signUp']>>;
  let admin: Awaited<ReturnType<Platform['admin']>>;

  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: ['aegis', 'mint', 'forge'] });
    learner = await platform.signUp('learner');
    admin = await platform.admin();
  });
  afterAll(() => platform?.stop());

  /** Sum of GraphQL operations all subgraphs have served so far. */
  const subgraphCalls = async () => {
    let total = 0;
    for (const subgraph of Object.values(platform.subgraphs)) {
      for (const value of (await subgraph.metrics.requests.get()).values) total += value.value;
    }
    return total;
  };

  const USERS = '{ users(first: 1) { edges { node { id } } } }';
  const USER = 'query($id: ID!) { user(id: $id) { id displayName } }';
  const REGISTER = 'mutation { registerOAuthClient(input: { name: "x", roles: [], scopes: [] }) { client { id } } }';

  it('shows an anonymous caller only the public fields, and asks them to sign in', async () => {
    expect((await platform.request('{ me { id } }')).body).toEqual({ data: { me: null } });
    for (const [query, variables] of [
      [USERS, {}],
      [USER, { id: learner.userId }],
      [REGISTER, {}],
    ] as const) {
      const before = await subgraphCalls();
      const { status, body } = await platform.request(query, variables);
      expect(status).toBe(401);
      expect(codeOf(body)).toBe('UNAUTHENTICATED');
      expect(body.data).toBeUndefined();
      expect(await subgraphCalls()).toBe(before); // nothing was sent to any subgraph
    }
  });

  it('lets a learner read people but not list them or act as admin', async () => {
    expect((await platform.request(USER, { id: admin.userId }, learner.headers)).body.data.user.id).toBe(admin.userId);
    for (const query of [USERS, REGISTER, `mutation { grantRole(userId: "${learner.userId}", role: admin) { id } }`]) {
      const before = await subgraphCalls();
      const { status, body } = await platform.request(query, {}, learner.headers);
      expect(status).toBe(403);
      expect(codeOf(body)).toBe('FORBIDDEN');
      expect(await subgraphCalls()).toBe(before);
    }
  });

  it('lets an admin do all of it', async () => {
    for (const query of [USERS, REGISTER]) {
      const { status, body } = await platform.request(query, {}, admin.headers);
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
    }
  });

  it("remembers an allowed operation only for callers with the same roles: the admin's query is still refused to others", async () => {
    const query = '{ users(first: 2) { edges { node { id displayName } } } }';
    for (let i = 0; i < 2; i++) expect((await platform.request(query, {}, admin.headers)).body.errors).toBeUndefined();
    const asLearner = await platform.request(query, {}, learner.headers);
    expect([asLearner.status, codeOf(asLearner.body)]).toEqual([403, 'FORBIDDEN']);
    const asAnonymous = await platform.request(query);
    expect([asAnonymous.status, codeOf(asAnonymous.body)]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await platform.request(query, {}, admin.headers)).body.errors).toBeUndefined();
  });

  it('finds forbidden fields inside named, nested and inline fragments and behind aliases', async () => {
    const hidden = [
      'query { ...Root } fragment Root on Query { users { edges { node { id } } } }',
      'query { ...Outer } fragment Outer on Query { ...Inner } fragment Inner on Query { everyone: users { pageInfo { hasNextPage } } }',
      'query { ... on Query { ... on Query { users { edges { cursor } } } } }',
      'query { me { id } alias: users { edges { node { id } } } }',
      'query { __typename ...F } fragment F on Query { users { edges { node { id } } } }',
    ];
    for (const query of hidden) {
      const { status, body } = await platform.request(query, {}, learner.headers);
      expect({ query, status, code: codeOf(body) }).toEqual({ query, status: 403, code: 'FORBIDDEN' });
    }
    // Only the operation that runs is judged: a forbidden operation elsewhere in the document does not matter.
    const two = await fetch(platform.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...learner.headers },
      body: JSON.stringify({
        query: `query Mine { me { id } } query Everyone { users { edges { node { id } } } }`,
        operationName: 'Mine',
      }),
    });
    expect(((await two.json()) as any).data.me.id).toBe(learner.userId);
  });

  it('refuses any call straight to a subgraph, _entities and _service included', async () => {
    const aegisUrl = platform.subgraphs.aegis!.url;
    const mintUrl = platform.subgraphs.mint!.url;
    for (const [url, query] of [
      [aegisUrl, '{ _service { sdl } }'],
      [aegisUrl, '{ users(first: 1) { edges { node { email } } } }'],
      [
        mintUrl,
        `{ _entities(representations: [{ __typename: "User", id: "${learner.userId}" }]) { ... on User { accounts { id } } } }`,
      ],
    ] as const) {
      const { status, body } = await graphql(url, query);
      expect(status).toBe(401);
      expect(codeOf(body)).toBe('UNAUTHENTICATED');
    }
    // An assertion signed by any key but the router's is worthless.
    const forged = await signIdentityAssertion(
      { kind: 'user', userId: learner.userId, roles: ['admin'], scopes: [] },
      privateKeyFromPem(generateAssertionKeys().privateKey),
    );
    const { status } = await graphql(aegisUrl, '{ _service { sdl } }', {}, { [IDENTITY_HEADER]: forged });
    expect(status).toBe(401);
  });
});
