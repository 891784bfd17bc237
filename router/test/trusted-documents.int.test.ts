import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTrustedDocuments, type RunningRouter } from '@azora/router';
import { seedUsers, startPlatform, startTcpProxy, TEST_REDIS_URL, until, type Platform } from '@azora/testing';

type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// The documents a first-party client ships, as codegen's client preset would write them.
const USERS = 'query Users($first: Int) { users(first: $first) { edges { node { email } } } }';
const ACCOUNT = 'query Account($id: ID!) { account(id: $id) { id currency } }';
const UNLISTED = '{ users(first: 1) { edges { node { id } } } }';

/** The platform admin: listing users is theirs alone. */
let admin: Record<string, string> = {};

async function post(url: string, body: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...admin },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('trusted documents', () => {
  let platform: Platform;
  let dir: string;
  let manifest: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'azora-trusted-'));
    manifest = join(dir, 'persisted-documents.json');
    writeFileSync(manifest, JSON.stringify({ [`sha256:${sha256(USERS)}`]: USERS, [sha256(ACCOUNT)]: ACCOUNT }));
    platform = await startPlatform({
      dialect: 'sqlite',
      subgraphs: ['aegis', 'mint', 'forge'],
      router: { env: { AZORA_TRUSTED_DOCUMENTS_MANIFEST: manifest } },
    });
    admin = (await platform.admin()).headers;
    await seedUsers(platform, 2, 'trusted');
  });
  afterAll(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a manifest whose hashes do not match its documents', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ [`sha256:${sha256(USERS)}`]: UNLISTED, 'not-a-hash': USERS }));
    expect(() => loadTrustedDocuments(bad)).toThrow(/does not match[\s\S]*not-a-hash/);
  });

  describe('allow mode (a manifest, no enforcement)', () => {
    it('runs a document by its id, with variables', async () => {
      const { status, body } = await post(platform.routerUrl, {
        documentId: `sha256:${sha256(USERS)}`,
        variables: { first: 1 },
      });
      expect(status).toBe(200);
      expect(body.data.users.edges).toHaveLength(1);
    });

    it('answers PERSISTED_QUERY_NOT_FOUND to an unknown id, then still serves', async () => {
      const unknown = await post(platform.routerUrl, { documentId: `sha256:${sha256('{ nope }')}` });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      const malformed = await post(platform.routerUrl, { documentId: 'md5:abc' });
      expect(malformed.body.errors[0].extensions.code).toBe('BAD_REQUEST');
      expect((await post(platform.routerUrl, { query: UNLISTED })).body.data.users.edges).toHaveLength(1);
    });

    it('serves APQ: a manifest hash directly, any other document after it was registered once', async () => {
      const listed = await post(platform.routerUrl, {
        variables: { first: 1 },
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(USERS) } },
      });
      expect(listed.body.data.users.edges).toHaveLength(1);
      const apq = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(UNLISTED) } } };
      expect((await post(platform.routerUrl, apq)).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect((await post(platform.routerUrl, { ...apq, query: UNLISTED })).body.data.users.edges).toHaveLength(1);
      expect((await post(platform.routerUrl, apq)).body.data.users.edges).toHaveLength(1);
    });
  });

  describe('APQ across router replicas sharing Redis', () => {
    const REDIS_URL = new URL(TEST_REDIS_URL);
    let redis: TcpProxy;
    beforeAll(async () => {
      redis = await startTcpProxy(Number(REDIS_URL.port || 6379), REDIS_URL.hostname);
    });
    afterAll(() => redis?.close());

    it('knows on router B a hash registered on router A, and treats Redis being down as a miss, never a failure', async () => {
      const env = {
        AZORA_REDIS_URL: `redis://127.0.0.1:${redis.port}`,
        AZORA_RATE_LIMIT_PREFIX: `azora-test:${randomBytes(6).toString('hex')}`,
      };
      const [a, b, alone] = [
        await platform.startRouter({ env }),
        await platform.startRouter({ env }),
        await platform.startRouter(),
      ];
      // A document no earlier run registered: its hash is new to Redis too.
      const unique = (tag: string) =>
        `query Apq_${tag}_${randomBytes(6).toString('hex')} { users(first: 1) { edges { node { id } } } }`;
      const hashOnly = (query: string) => ({
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } },
      });

      const shared = unique('shared');
      expect((await post(b.url, hashOnly(shared))).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect((await post(a.url, { ...hashOnly(shared), query: shared })).body.data.users.edges).toHaveLength(1);
      const onB = await post(b.url, hashOnly(shared));
      expect(onB.status).toBe(200);
      expect(onB.body.data.users.edges).toHaveLength(1);
      // A router without Redis keeps its own cache: the registration on A means nothing to it.
      expect((await post(alone.url, hashOnly(shared))).body.errors[0].extensions.code).toBe(
        'PERSISTED_QUERY_NOT_FOUND',
      );

      redis.cut();
      // B already holds the shared hash in its own memory; a hash only Redis could know is a miss, not a 500.
      expect((await post(b.url, hashOnly(shared))).body.data.users.edges).toHaveLength(1);
      const offline = unique('offline');
      expect((await post(a.url, { ...hashOnly(offline), query: offline })).status).toBe(200);
      const missed = await post(b.url, hashOnly(offline));
      expect(missed.status).toBe(200);
      expect(missed.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      // The client's answer to a miss, the full query, works.
      expect((await post(b.url, { ...hashOnly(offline), query: offline })).body.data.users.edges).toHaveLength(1);

      redis.restore();
      const again = unique('again');
      await until(
        'router A registers in Redis again',
        async () =>
          (await post(a.url, { ...hashOnly(again), query: again })).status === 200 &&
          (await post(b.url, hashOnly(again))).body.data !== undefined,
        20_000,
      );
      expect((await post(b.url, hashOnly(again))).body.data.users.edges).toHaveLength(1);
    });
  });

  describe('enforce mode', () => {
    let enforcing: RunningRouter;
    beforeAll(async () => {
      enforcing = await platform.startRouter({
        nodeEnv: 'production',
        env: { AZORA_TRUSTED_DOCUMENTS: 'enforce', AZORA_TRUSTED_DOCUMENTS_MANIFEST: manifest },
      });
    });

    it('refuses any document outside the manifest with DOCUMENT_NOT_TRUSTED, then still serves trusted ones', async () => {
      const refused = await post(enforcing.url, { query: UNLISTED });
      expect(refused.status).toBe(400);
      expect(refused.body.errors[0].extensions.code).toBe('DOCUMENT_NOT_TRUSTED');
      expect(refused.body.data).toBeUndefined();
      const byId = await post(enforcing.url, { documentId: `sha256:${sha256(USERS)}`, variables: { first: 2 } });
      expect(byId.status).toBe(200);
      expect(byId.body.data.users.edges).toHaveLength(2);
      // The exact text of a trusted document is as good as its id.
      expect((await post(enforcing.url, { query: USERS, variables: { first: 1 } })).body.data.users.edges).toHaveLength(
        1,
      );
    });

    it('refuses to register a document through APQ, and resolves manifest hashes without APQ', async () => {
      const register = await post(enforcing.url, {
        query: UNLISTED,
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(UNLISTED) } },
      });
      expect(register.body.errors[0].extensions.code).toBe('DOCUMENT_NOT_TRUSTED');
      const lookup = await post(enforcing.url, {
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(UNLISTED) } },
      });
      expect(lookup.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      const listed = await post(enforcing.url, {
        query: USERS,
        variables: { first: 1 },
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(USERS) } },
      });
      expect(listed.body.data.users.edges).toHaveLength(1);
    });

    it('accepts a documentId over GET', async () => {
      const url = new URL(enforcing.url);
      url.searchParams.set('documentId', `sha256:${sha256(USERS)}`);
      url.searchParams.set('variables', JSON.stringify({ first: 1 }));
      const response = await fetch(url, { headers: { ...admin, 'apollo-require-preflight': 'true' } });
      expect(response.status).toBe(200);
      expect(((await response.json()) as any).data.users.edges).toHaveLength(1);
      url.searchParams.delete('documentId');
      url.searchParams.set('query', UNLISTED);
      const refused = await fetch(url, { headers: { ...admin, 'apollo-require-preflight': 'true' } });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as any).errors[0].extensions.code).toBe('DOCUMENT_NOT_TRUSTED');
    });
  });
});
