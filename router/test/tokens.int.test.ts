import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import {
  aegisSigningKey,
  startOidcIssuer,
  startPlatform,
  TEST_ISSUER,
  testDialects,
  until,
  type Platform,
} from '@azora/testing';

const ME = '{ me { id } }';

describe.each(testDialects())('bearer tokens at the router on %s', (dialect) => {
  let platform: Platform;
  let other: Awaited<ReturnType<typeof startOidcIssuer>>;
  let aegisKey: { kid: string; key: KeyLike | Uint8Array; publicJwk: JWK };

  beforeAll(async () => {
    other = await startOidcIssuer();
    platform = await startPlatform({ dialect, subgraphs: ['aegis'], oidcIssuers: [other.url] });
    // Aegis's real signing key, so that each forged token below is refused for its claims, not its signature.
    aegisKey = await aegisSigningKey(platform);
  });
  afterAll(async () => {
    await platform?.stop();
    await other?.close();
  });

  const aegisToken = (
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
    options: { iss?: string; aud?: string; exp?: number | string; nbf?: number } = {},
  ) => {
    const jwt = new SignJWT({ kind: 'user', roles: ['admin'], scopes: [], ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: aegisKey.kid, typ: 'at+jwt', ...header })
      .setIssuer(options.iss ?? TEST_ISSUER)
      .setAudience(options.aud ?? 'azora')
      .setSubject('01930000-0000-7000-8000-00000000abcd')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m');
    if (options.nbf) jwt.setNotBefore(options.nbf);
    return jwt.sign(aegisKey.key);
  };
  const expect401 = async (authorization: string, url?: string) => {
    const response = url
      ? await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ query: ME }),
        })
      : undefined;
    const { status, body } = response
      ? { status: response.status, body: (await response.json()) as { errors?: { extensions?: { code?: string } }[] } }
      : await platform.request(ME, {}, { authorization });
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  };

  it('accepts a well-formed token signed by Aegis (the control for every refusal below)', async () => {
    const { status, body } = await platform.request(
      '{ users(first: 1) { edges { node { id } } } }',
      {},
      { authorization: `Bearer ${await aegisToken({})}` },
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it('refuses alg "none"', async () => {
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${encode({ alg: 'none', typ: 'at+jwt', kid: aegisKey.kid })}.${encode({ iss: TEST_ISSUER, aud: 'azora', sub: 'x', exp: now + 300, roles: ['admin'] })}.`;
    await expect401(`Bearer ${unsigned}`);
  });

  it('refuses HS256 signed with the public key', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(aegisKey.publicJwk));
    const forged = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: aegisKey.kid, typ: 'at+jwt' })
      .setIssuer(TEST_ISSUER)
      .setAudience('azora')
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(secret);
    await expect401(`Bearer ${forged}`);
    const rawKey = Buffer.from(aegisKey.publicJwk.x!, 'base64url');
    const forged2 = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: aegisKey.kid, typ: 'at+jwt' })
      .setIssuer(TEST_ISSUER)
      .setAudience('azora')
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(rawKey);
    await expect401(`Bearer ${forged2}`);
  });

  it('refuses expired tokens and tokens not yet valid', async () => {
    await expect401(`Bearer ${await aegisToken({}, {}, { exp: Math.floor(Date.now() / 1000) - 60 })}`);
    await expect401(`Bearer ${await aegisToken({}, {}, { nbf: Math.floor(Date.now() / 1000) + 600 })}`);
  });

  it('stops accepting a verified (and remembered) token the moment it expires', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3;
    const authorization = `Bearer ${await aegisToken({}, {}, { exp: expiresAt })}`;
    for (let i = 0; i < 3; i++) expect((await platform.request(ME, {}, { authorization })).status).toBe(200);
    // The router allows 5 s of clock skew past exp, as it always has; remembering the token adds nothing to that.
    await until(
      'the token has expired, skew allowance included',
      async () => Date.now() >= (expiresAt + 6) * 1000,
      15_000,
    );
    await expect401(authorization);
  });

  it('refuses the wrong issuer or audience', async () => {
    await expect401(`Bearer ${await aegisToken({}, {}, { iss: 'http://evil.test' })}`);
    await expect401(`Bearer ${await aegisToken({}, {}, { aud: 'another-api' })}`);
  });

  it('refuses a refresh token, or a token not typed as an access token', async () => {
    const user = await platform.signUp('refresh-as-access');
    await expect401(`Bearer ${user.refreshToken}`);
    await expect401(`Bearer ${await aegisToken({}, { typ: 'JWT' })}`);
  });

  it('refuses an unknown kid and tokens that name their own key (jku, jwk)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const stranger = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'made-up', typ: 'at+jwt' })
      .setIssuer(TEST_ISSUER)
      .setAudience('azora')
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(privateKey);
    await expect401(`Bearer ${stranger}`);
    await expect401(`Bearer ${await aegisToken({}, { jku: `${other.url}/jwks.json` })}`);
    const embedded = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', jwk: await exportJWK(publicKey) })
      .setIssuer(TEST_ISSUER)
      .setAudience('azora')
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(privateKey);
    await expect401(`Bearer ${embedded}`);
  });

  it('refuses garbage, unknown schemes and credentials in the query string', async () => {
    await expect401('Bearer not.a.jwt');
    await expect401('Basic dXNlcjpwYXNz');
    const user = await platform.signUp('query-string');
    await expect401(`Bearer ${user.accessToken}`, `${platform.routerUrl}?access_token=${user.accessToken}`);
  });

  it('accepts tokens of another configured OIDC issuer, with their roles', async () => {
    const token = await other.sign({ roles: ['admin'] });
    const { status, body } = await platform.request(
      '{ users(first: 1) { edges { node { id } } } }',
      {},
      { authorization: `Bearer ${token}` },
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const noRoles = await platform.request(
      '{ users(first: 1) { edges { node { id } } } }',
      {},
      { authorization: `Bearer ${await other.sign({})}` },
    );
    expect(noRoles.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('keeps old tokens valid across a key rotation and accepts tokens of the new key at once', async () => {
    const before = await platform.signUp('rotation');
    const admin = await platform.admin();
    const rotation = await platform.request('mutation { rotateSigningKey { kid publishedKids } }', {}, admin.headers);
    expect(rotation.body.errors).toBeUndefined();
    const { kid, publishedKids } = rotation.body.data.rotateSigningKey;
    expect(publishedKids[0]).toBe(kid);
    expect(publishedKids).toContain(aegisKey.kid);
    expect((await platform.request(ME, {}, before.headers)).body.data.me.id).toBe(before.userId);
    // Aegis caches its active key for up to 30 s per process; wait for tokens signed with the new one rather than
    // assume. Refreshing the session is the cheapest way to be issued a new token (no password hashing).
    const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
    const after = await platform.signUp('rotation-after');
    let token = after.accessToken;
    let refreshToken = after.refreshToken;
    await until(
      'Aegis signs with the rotated key',
      async () => {
        if (kidOf(token) === kid) return true;
        const { body } = await platform.request(
          'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }',
          { t: refreshToken },
        );
        if (!body.data?.refreshSession) throw new Error(`refreshSession failed: ${JSON.stringify(body.errors)}`);
        ({ accessToken: token, refreshToken } = body.data.refreshSession);
        return kidOf(token) === kid;
      },
      40_000,
      250,
    );
    expect((await platform.request(ME, {}, { authorization: `Bearer ${token}` })).body.data.me.id).toBe(after.userId);
  });
});
