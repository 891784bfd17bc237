import { startPlatform, testDialects, type Platform } from '@azora/testing';

const SIGN_UP =
  'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken expiresIn user { id email roles } } }';
const SIGN_IN =
  'mutation($input: SignInInput!) { signIn(input: $input) { accessToken refreshToken user { id email } } }';
const REFRESH = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken user { id } } }';
const ME = '{ me { id email displayName roles } }';
const codes = (body: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  body.errors?.map((e) => e.extensions?.code);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(testDialects())('Aegis identity through the router on %s', (dialect) => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: ['aegis'], apiKeyCacheMs: 0 });
  });
  afterAll(() => platform?.stop());

  describe('sign-up, sign-in and me', () => {
    it('signs up a learner with a normalised email and shows them to themself', async () => {
      const email = `  Ada.${Date.now()}@Example.TEST `;
      const { body } = await platform.request(SIGN_UP, {
        input: { email, password: 'correct horse battery', displayName: ' Ada ' },
      });
      expect(body.errors).toBeUndefined();
      const payload = body.data.signUp;
      expect(payload.user).toMatchObject({ email: email.trim().toLowerCase(), roles: ['learner'] });
      expect(payload.expiresIn).toBe(900);
      const me = await platform.request(ME, {}, bearer(payload.accessToken));
      expect(me.body.data.me).toEqual({
        id: payload.user.id,
        email: email.trim().toLowerCase(),
        displayName: 'Ada',
        roles: ['learner'],
      });
      const signedIn = await platform.request(SIGN_IN, {
        input: { email: email.toUpperCase(), password: 'correct horse battery' },
      });
      expect(signedIn.body.data.signIn.user.id).toBe(payload.user.id);
    });

    it('refuses duplicates, bad emails and bad passwords with clear codes and writes nothing', async () => {
      const { email } = await platform.signUp('dup');
      const duplicate = await platform.request(SIGN_UP, {
        input: { email: email.toUpperCase(), password: 'long enough pw', displayName: 'x' },
      });
      expect(codes(duplicate.body)).toEqual(['CONFLICT']);
      for (const input of [
        { email: 'not-an-email', password: 'long enough pw', displayName: 'x' },
        { email: `short-${Date.now()}@example.test`, password: 'short', displayName: 'x' },
        { email: `huge-${Date.now()}@example.test`, password: 'x'.repeat(100_000), displayName: 'x' },
        { email: `blank-${Date.now()}@example.test`, password: 'long enough pw', displayName: '   ' },
      ]) {
        const { body } = await platform.request(SIGN_UP, { input });
        expect(codes(body)).toEqual(['BAD_USER_INPUT']);
        const retry = await platform.request(SIGN_IN, { input: { email: input.email, password: input.password } });
        expect(codes(retry.body)).toEqual(
          expect.arrayContaining([expect.stringMatching(/UNAUTHENTICATED|BAD_USER_INPUT/)]),
        );
      }
    });

    it('answers a wrong password and an unknown email identically', async () => {
      const { email } = await platform.signUp('same');
      const wrong = await platform.request(SIGN_IN, { input: { email, password: 'not the password' } });
      const unknown = await platform.request(SIGN_IN, {
        input: { email: `nobody-${Date.now()}@example.test`, password: 'not the password' },
      });
      expect(wrong.body.errors).toEqual(unknown.body.errors);
      expect(codes(wrong.body)).toEqual(['UNAUTHENTICATED']);
    });

    it('throttles repeated failures per account, even with the right password afterwards', async () => {
      const { email } = await platform.signUp('throttled', 'the right password');
      for (let i = 0; i < 5; i++) {
        const { body } = await platform.request(SIGN_IN, { input: { email, password: `wrong ${i}` } });
        expect(codes(body)).toEqual(['UNAUTHENTICATED']);
      }
      const blocked = await platform.request(SIGN_IN, { input: { email, password: 'the right password' } });
      expect(codes(blocked.body)).toEqual(['RATE_LIMITED']);
      expect(blocked.body.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
    });

    it('keeps private fields to the user themself and admins', async () => {
      const alice = await platform.signUp('alice');
      const bob = await platform.signUp('bob');
      const query = 'query($id: ID!) { user(id: $id) { id displayName email } }';
      const asBob = await platform.request(query, { id: alice.userId }, bob.headers);
      expect(asBob.body.data.user).toBeNull();
      expect(codes(asBob.body)).toEqual(['FORBIDDEN']);
      const displayOnly = await platform.request(
        'query($id: ID!) { user(id: $id) { displayName } }',
        { id: alice.userId },
        bob.headers,
      );
      expect(displayOnly.body.data.user).toEqual({ displayName: 'alice' });
      const asAdmin = await platform.request(query, { id: alice.userId }, (await platform.admin()).headers);
      expect(asAdmin.body.data.user.email).toBe(alice.email);
    });
  });

  describe('refresh sessions', () => {
    it('rotates the refresh token and detects reuse by revoking the whole family', async () => {
      const user = await platform.signUp('rotating');
      const first = await platform.request(REFRESH, { t: user.refreshToken });
      expect(first.body.errors).toBeUndefined();
      const rotated = first.body.data.refreshSession;
      expect(rotated.refreshToken).not.toBe(user.refreshToken);
      expect((await platform.request(ME, {}, bearer(rotated.accessToken))).body.data.me.id).toBe(user.userId);

      const replay = await platform.request(REFRESH, { t: user.refreshToken });
      expect(codes(replay.body)).toEqual(['UNAUTHENTICATED']);
      // The family is gone: the newest token no longer works either.
      const afterReuse = await platform.request(REFRESH, { t: rotated.refreshToken });
      expect(codes(afterReuse.body)).toEqual(['UNAUTHENTICATED']);
    });

    it('lets at most one of several concurrent refreshes with the same token succeed', async () => {
      const user = await platform.signUp('racing');
      const results = await Promise.all(
        Array.from({ length: 8 }, () => platform.request(REFRESH, { t: user.refreshToken })),
      );
      const successes = results.filter((r) => r.body.data?.refreshSession);
      expect(successes.length).toBeLessThanOrEqual(1);
      for (const failure of results.filter((r) => !r.body.data?.refreshSession))
        expect(codes(failure.body)).toEqual(['UNAUTHENTICATED']);
    });

    it('ends the session on sign-out', async () => {
      const user = await platform.signUp('leaving');
      const out = await platform.request('mutation($t: String!) { signOut(refreshToken: $t) }', {
        t: user.refreshToken,
      });
      expect(out.body.data.signOut).toBe(true);
      expect(codes((await platform.request(REFRESH, { t: user.refreshToken })).body)).toEqual(['UNAUTHENTICATED']);
      const again = await platform.request('mutation($t: String!) { signOut(refreshToken: $t) }', {
        t: user.refreshToken,
      });
      expect(again.body.data.signOut).toBe(false);
    });
  });

  describe('API keys', () => {
    const CREATE =
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name prefix scopes revokedAt } } }';

    it('shows the secret once, authenticates with it, and stops working when revoked', async () => {
      const owner = await platform.signUp('device-owner');
      const created = await platform.request(
        CREATE,
        { input: { name: 'freezer-7', scopes: ['coldchain:ingest'] } },
        owner.headers,
      );
      expect(created.body.errors).toBeUndefined();
      const { secret, apiKey } = created.body.data.createApiKey;
      expect(secret).toMatch(/^azk_/);
      expect(secret.startsWith(apiKey.prefix)).toBe(true);

      const viaKey = { authorization: `ApiKey ${secret}` };
      expect((await platform.request(ME, {}, viaKey)).body.data.me.id).toBe(owner.userId);
      const listed = await platform.request('{ apiKeys { id name scopes lastUsedAt } }', {}, owner.headers);
      expect(listed.body.data.apiKeys).toEqual([
        { id: apiKey.id, name: 'freezer-7', scopes: ['coldchain:ingest'], lastUsedAt: expect.any(String) },
      ]);
      expect(JSON.stringify(listed.body)).not.toContain(secret);

      // A key cannot mint more keys.
      const minted = await platform.request(CREATE, { input: { name: 'child', scopes: [] } }, viaKey);
      expect(codes(minted.body)).toEqual(['FORBIDDEN']);

      const revoked = await platform.request(
        'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }',
        { id: apiKey.id },
        owner.headers,
      );
      expect(revoked.body.data.revokeApiKey.revokedAt).toEqual(expect.any(String));
      const after = await platform.request(ME, {}, viaKey);
      expect(after.status).toBe(401);
      expect(codes(after.body)).toEqual(['UNAUTHENTICATED']);
    });

    it("refuses unknown keys, other people's keys and bad scopes", async () => {
      const unknown = await platform.request(
        ME,
        {},
        { authorization: 'ApiKey azk_notarealkeyatallnotarealkeyatallnotarealke' },
      );
      expect(unknown.status).toBe(401);
      const a = await platform.signUp('a');
      const b = await platform.signUp('b');
      const { body } = await platform.request(CREATE, { input: { name: 'mine', scopes: [] } }, a.headers);
      const stolen = await platform.request(
        'mutation($id: ID!) { revokeApiKey(id: $id) { id } }',
        { id: body.data.createApiKey.apiKey.id },
        b.headers,
      );
      expect(codes(stolen.body)).toEqual(['NOT_FOUND']);
      const badScope = await platform.request(CREATE, { input: { name: 'x', scopes: ['DROP TABLE'] } }, a.headers);
      expect(codes(badScope.body)).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('OAuth2 client credentials', () => {
    const tokenUrl = () => new URL('/oauth/token', platform.routerUrl);
    const REGISTER =
      'mutation($input: RegisterOAuthClientInput!) { registerOAuthClient(input: $input) { clientSecret client { id roles scopes } } }';

    it('issues scoped tokens to a registered machine client', async () => {
      const { body } = await platform.request(
        REGISTER,
        { input: { name: 'warehouse sync', roles: ['operator'], scopes: ['coldchain:ingest', 'retail:read'] } },
        (await platform.admin()).headers,
      );
      expect(body.errors).toBeUndefined();
      const { clientSecret, client } = body.data.registerOAuthClient;
      const basic = Buffer.from(`${client.id}:${clientSecret}`).toString('base64');
      const response = await fetch(tokenUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'retail:read' }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const token = (await response.json()) as { access_token: string; token_type: string; scope: string };
      expect(token).toMatchObject({ token_type: 'Bearer', scope: 'retail:read' });
      // A machine client is authenticated but is nobody: `me` is null, and a person-only field is refused.
      const me = await platform.request(ME, {}, bearer(token.access_token));
      expect(me.status).toBe(200);
      expect(me.body.data.me).toBeNull();
      const keys = await platform.request('{ apiKeys { id } }', {}, bearer(token.access_token));
      expect(codes(keys.body)).toEqual(['FORBIDDEN']);

      const post = await fetch(tokenUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.id,
          client_secret: clientSecret,
        }),
      });
      expect(((await post.json()) as { scope: string }).scope).toBe('coldchain:ingest retail:read');
    });

    it('answers RFC 6749 errors for bad clients, grants and scopes', async () => {
      const { body } = await platform.request(
        REGISTER,
        { input: { name: 'limited', roles: [], scopes: ['a:read'] } },
        (await platform.admin()).headers,
      );
      const { client, clientSecret } = body.data.registerOAuthClient;
      const post = (form: Record<string, string>) =>
        fetch(tokenUrl(), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form),
        });
      const wrong = await post({ grant_type: 'client_credentials', client_id: client.id, client_secret: 'azc_wrong' });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
      const grant = await post({ grant_type: 'password', client_id: client.id, client_secret: clientSecret });
      expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
      const scope = await post({
        grant_type: 'client_credentials',
        client_id: client.id,
        client_secret: clientSecret,
        scope: 'a:write',
      });
      expect(scope.status).toBe(400);
      expect(await scope.json()).toMatchObject({ error: 'invalid_scope' });
    });

    it('lets only admins register clients and manage roles', async () => {
      const learner = await platform.signUp('learner');
      const register = await platform.request(
        REGISTER,
        { input: { name: 'x', roles: ['admin'], scopes: [] } },
        learner.headers,
      );
      expect(register.status).toBe(403);
      expect(codes(register.body)).toEqual(['FORBIDDEN']);
      const grant = await platform.request(
        'mutation($u: ID!) { grantRole(userId: $u, role: admin) { id } }',
        { u: learner.userId },
        learner.headers,
      );
      expect(codes(grant.body)).toEqual(['FORBIDDEN']);
      // Aegis does not repeat the router's whole-field rule: this refusal is the router's alone.
      const rotate = await platform.request('mutation { rotateSigningKey { kid } }', {}, learner.headers);
      expect(rotate.status).toBe(403);
      expect(codes(rotate.body)).toEqual(['FORBIDDEN']);
      const treasurer = await platform.userWithRoles(['treasury'], 'treasurer');
      const me = await platform.request(ME, {}, treasurer.headers);
      expect(me.body.data.me.roles.sort()).toEqual(['learner', 'treasury']);
    });
  });
});

describe('sign-in throttling per client address', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({
      dialect: 'sqlite',
      subgraphs: ['aegis'],
      env: { AEGIS_SIGN_IN_MAX_FAILURES_PER_IP: '3' },
    });
  });
  afterAll(() => platform?.stop());

  it('blocks an address that fails across many accounts, whatever account it tries next', async () => {
    const victim = await platform.signUp('victim', 'the right password');
    for (let i = 0; i < 3; i++) {
      const { body } = await platform.request(SIGN_IN, {
        input: { email: `spray-${i}@example.test`, password: 'guess' },
      });
      expect(codes(body)).toEqual(['UNAUTHENTICATED']);
    }
    const { body } = await platform.request(SIGN_IN, {
      input: { email: victim.email, password: 'the right password' },
    });
    expect(codes(body)).toEqual(['RATE_LIMITED']);
  });
});
