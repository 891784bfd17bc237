import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSubgraphDefinition } from '@azora/kit';
import {
  collect,
  connectWs,
  freePort,
  graphql,
  runInRepo,
  runRouterProcess,
  startFixtureSubgraph,
  startOidcIssuer,
  startPlatform,
  TEST_ISSUER,
  type FixtureSubgraph,
  type Platform,
  type RouterProcess,
  type SignedIn,
  until,
} from '@azora/testing';

// "A router for any supergraph": a supergraph that is not Azora's (a gadget shop, next to Aegis, which issues the
// tokens, or alone, with an outside OIDC issuer), served by the router process with a policy file, which decides
// together with the access directives the shop's SDL declares itself (`members`).
const typeDefs = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@authenticated"])
  type Query {
    ping: String
    members: String @authenticated
    mine: String
    treasury: String
    unlisted: String
    gadget: Gadget
  }
  type Mutation {
    touch: String
  }
  type Gadget {
    name: String
    serial: String
    secret: String
  }
`;

const POLICY = `# the gadget shop's permissions
version: 1
types:
  Query:
    ping: allow
    members: allow
    mine: authenticated
    treasury: role:admin,treasury
    gadget: allow
    # unlisted has no rule: denied
  Mutation:
    touch: person
  Gadget:
    "*": allow
    secret: role:admin
`;

const codeOf = (body: any) => body.errors?.[0]?.extensions?.code;

describe('the router process with --policy <file> over any supergraph', () => {
  let platform: Platform;
  let fixture: FixtureSubgraph;
  let dir: string;
  let supergraph: string;
  let user: SignedIn;
  let treasurer: SignedIn;
  let admin: SignedIn;
  const started: RouterProcess[] = [];

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    AZORA_ROUTER_PRIVATE_KEY: platform.routerPrivateKey,
    AZORA_ISSUER: TEST_ISSUER,
    AZORA_HOT_RELOAD: 'false',
    ...extra,
  });
  const run = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const router = runRouterProcess(['--supergraph', supergraph, ...args], await freePort(), env(extra));
    started.push(router);
    return router;
  };
  const policyFile = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: [loadSubgraphDefinition('aegis')] });
    fixture = await startFixtureSubgraph('gadgets', typeDefs, {
      Query: {
        ping: () => 'pong',
        members: () => 'welcome',
        mine: () => 'yours',
        treasury: () => 'gold',
        unlisted: () => 'leaked',
        gadget: () => ({ name: 'sprocket', serial: 'S-1', secret: 'blueprint' }),
      },
      Mutation: { touch: () => 'touched' },
    });
    dir = mkdtempSync(join(tmpdir(), 'azora-policy-'));
    supergraph = join(dir, 'supergraph.graphql');
    writeFileSync(supergraph, platform.compose({ extra: [fixture] }));
    [user, treasurer, admin] = await Promise.all([
      platform.signUp('gadget-fan'),
      platform.userWithRoles(['treasury'], 'gadget-treasurer'),
      platform.admin(),
    ]);
  });
  afterAll(async () => {
    for (const router of started) router.child.kill('SIGKILL');
    await fixture?.stop();
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('with a policy file', () => {
    let router: RouterProcess;
    beforeAll(async () => {
      router = await run([], { AZORA_POLICY_FILE: policyFile('policy.yaml', POLICY) });
      await router.listening();
    }, 120_000);

    it('allows and denies fields over HTTP as the file says', async () => {
      const ask = async (query: string, who?: SignedIn) =>
        (await graphql(router.url, query, undefined, who?.headers)).body;
      expect(await ask('{ ping }')).toEqual({ data: { ping: 'pong' } });
      expect(codeOf(await ask('{ mine }'))).toBe('UNAUTHENTICATED');
      expect(await ask('{ mine }', user)).toEqual({ data: { mine: 'yours' } });
      // The file allows it, the supergraph's own @authenticated asks for a signed-in caller: both must hold.
      expect(codeOf(await ask('{ members }'))).toBe('UNAUTHENTICATED');
      expect(await ask('{ members }', user)).toEqual({ data: { members: 'welcome' } });
      expect(codeOf(await ask('{ treasury }', user))).toBe('FORBIDDEN');
      expect(await ask('{ treasury }', treasurer)).toEqual({ data: { treasury: 'gold' } });
      expect(await ask('{ treasury }', admin)).toEqual({ data: { treasury: 'gold' } });
      // The type's "*" covers fields not named; a named one overrides it.
      expect(await ask('{ gadget { name serial } }')).toEqual({
        data: { gadget: { name: 'sprocket', serial: 'S-1' } },
      });
      expect(codeOf(await ask('{ gadget { secret } }', treasurer))).toBe('FORBIDDEN');
      expect(await ask('{ gadget { secret } }', admin)).toEqual({ data: { gadget: { secret: 'blueprint' } } });
      // No rule, no access: not even for an admin, and not Aegis's fields, which the file does not name.
      const unlisted = await ask('{ unlisted }', admin);
      expect(codeOf(unlisted)).toBe('FORBIDDEN');
      expect(JSON.stringify(unlisted)).not.toContain('leaked');
      expect(codeOf(await ask('{ me { id } }', user))).toBe('FORBIDDEN');
      expect(codeOf(await ask('mutation { touch }'))).toBe('UNAUTHENTICATED');
      expect(await ask('mutation { touch }', user)).toEqual({ data: { touch: 'touched' } });
    });

    it('applies the same policy over WebSocket', async () => {
      const client = connectWs(router.url, { authorization: `Bearer ${user.accessToken}` });
      try {
        const allowed = collect(client, '{ mine gadget { name } }');
        expect(await allowed.until(1)).toEqual([{ data: { mine: 'yours', gadget: { name: 'sprocket' } } }]);
        for (const query of ['{ treasury }', '{ unlisted }', '{ gadget { secret } }']) {
          const denied = collect(client, query);
          await denied.until(1);
          expect(
            denied.results[0]?.errors?.[0]?.extensions?.code ?? (denied.failure() as any)?.[0]?.extensions?.code,
          ).toBe('FORBIDDEN');
          expect(JSON.stringify(denied.results)).not.toMatch(/leaked|gold|blueprint/);
        }
      } finally {
        await client.dispose();
      }
    });
  });

  it('serves a supergraph without Aegis: tokens of the configured OIDC issuers, judged by the policy file; no API keys', async () => {
    const issuer = await startOidcIssuer();
    try {
      const alone = join(dir, 'gadgets-only.graphql');
      writeFileSync(alone, platform.compose({ only: [], extra: [fixture] }));
      const router = runRouterProcess(
        ['--supergraph', alone, '--policy', policyFile('alone.yaml', POLICY)],
        await freePort(),
        env({ AZORA_OIDC_ISSUERS: issuer.url }),
      );
      started.push(router);
      await router.listening();
      const ask = async (query: string, authorization?: string) =>
        (await graphql(router.url, query, undefined, authorization ? { authorization } : undefined)).body;
      expect(await ask('{ ping }')).toEqual({ data: { ping: 'pong' } });
      expect(codeOf(await ask('{ mine }'))).toBe('UNAUTHENTICATED');
      expect(await ask('{ mine }', `Bearer ${await issuer.sign({})}`)).toEqual({ data: { mine: 'yours' } });
      expect(codeOf(await ask('{ treasury }', `Bearer ${await issuer.sign({ roles: ['learner'] })}`))).toBe(
        'FORBIDDEN',
      );
      expect(await ask('{ treasury }', `Bearer ${await issuer.sign({ roles: ['treasury'] })}`)).toEqual({
        data: { treasury: 'gold' },
      });
      // Aegis's own tokens mean nothing here, nor do API keys: nothing could check them.
      expect(codeOf(await ask('{ mine }', user.headers.authorization))).toBe('UNAUTHENTICATED');
      const apiKey = await graphql(router.url, '{ mine }', undefined, { authorization: 'ApiKey azk_anything' });
      expect([apiKey.status, codeOf(apiKey.body)]).toEqual([401, 'UNAUTHENTICATED']);
      expect(router.output()).toContain('the supergraph has no aegis subgraph');
    } finally {
      await issuer.close();
    }
  }, 120_000);

  it('follows its policy file and the supergraph as they change, keeping the policy in force when a new file does not check', async () => {
    const served = join(dir, 'reloading.graphql');
    writeFileSync(served, readFileSync(supergraph, 'utf8'));
    const file = policyFile('reloading.yaml', POLICY);
    const router = runRouterProcess(
      ['--supergraph', served, '--policy', file],
      await freePort(),
      env({ AZORA_HOT_RELOAD: 'true', AZORA_RELOAD_POLL_MS: '50' }),
    );
    started.push(router);
    await router.listening();
    const ask = async (query: string) => (await graphql(router.url, query, undefined, user.headers)).body;
    expect(codeOf(await ask('{ unlisted }'))).toBe('FORBIDDEN');

    // The file now names the field: it opens, over HTTP and WebSocket alike, without a restart.
    writeFileSync(file, POLICY.replace('    # unlisted has no rule: denied', '    unlisted: allow'));
    await until('the edited policy is in force', async () => (await ask('{ unlisted }')).data?.unlisted === 'leaked');
    expect(router.output()).toContain('permission policy reloaded');
    const client = connectWs(router.url, { authorization: `Bearer ${user.accessToken}` });
    try {
      expect(await collect(client, '{ unlisted }').until(1)).toEqual([{ data: { unlisted: 'leaked' } }]);
    } finally {
      await client.dispose();
    }

    // A file that does not check (a typo, a field the supergraph lacks) changes nothing and says why.
    const upcoming = POLICY.replace('    # unlisted has no rule: denied', '    unlisted: deny\n    launch: allow');
    writeFileSync(file, upcoming);
    await until('the refused policy is reported', () => router.output().includes('Query.launch: no such field'));
    expect(router.output()).toContain('permission policy not reloaded');
    expect((await ask('{ unlisted }')).data?.unlisted).toBe('leaked');

    // The supergraph gains the field: the file is checked again against it, passes, and both changes apply together.
    const next = await startFixtureSubgraph(
      'gadgets',
      typeDefs.replace('unlisted: String', 'unlisted: String\n    launch: String'),
      {
        Query: { ping: () => 'pong', unlisted: () => 'leaked', launch: () => 'T-minus 10' },
      },
    );
    try {
      writeFileSync(served, platform.compose({ extra: [next] }));
      await until(
        'the new supergraph and policy are in force',
        async () => (await ask('{ launch }')).data?.launch === 'T-minus 10',
      );
      expect(codeOf(await ask('{ unlisted }'))).toBe('FORBIDDEN');
      expect(await ask('{ ping }')).toEqual({ data: { ping: 'pong' } });
    } finally {
      await next.stop();
    }
  }, 120_000);

  it('fails fast on a bad policy file, naming every problem', async () => {
    const bad = policyFile(
      'bad.yaml',
      'version: 1\ntypes:\n  Query:\n    ping: alow\n    nosuch: allow\n    mine: "role:"\n    treasury: constructor\n  Gizmo:\n    name: allow\n',
    );
    const router = await run(['--policy', bad]);
    expect(await router.exited).toBe(1);
    const output = router.output();
    expect(output).toContain('is not a valid permission policy');
    expect(output).toContain('Query.ping: unknown rule \\"alow\\"');
    expect(output).toContain('Query.nosuch: no such field');
    expect(output).toContain('Query.mine: \\"role:\\"');
    expect(output).toContain('Query.treasury: unknown rule \\"constructor\\"');
    expect(output).toContain('Gizmo: no such type');
    expect(output).not.toContain('router listening');
  }, 120_000);

  it("passes the container's arguments on: `docker/entrypoint.sh router --supergraph … --policy …`", async () => {
    const bad = policyFile('typo.yaml', 'version: 1\ntypes:\n  Query:\n    pong: allow\n');
    const container = runInRepo('sh', ['docker/entrypoint.sh', 'router', '--supergraph', supergraph, '--policy', bad], {
      ...process.env,
      ...env({ PORT: String(await freePort()) }),
    });
    expect(await container.exited).toBe(1);
    expect(container.output()).toContain('Query.pong: no such field');
  }, 120_000);

  it('refuses the permissive policy in production mode unless confirmed, and warns loudly whenever it is on', async () => {
    const production = { NODE_ENV: 'production', AZORA_RATE_LIMIT: 'false' };
    const refused = await run(['--policy', 'permissive'], production);
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain('AZORA_CONFIRM_PERMISSIVE_POLICY=every-field-is-public');
    expect(refused.output()).not.toContain('router listening');

    const unconfirmed = await run(['--policy', 'permissive'], {
      ...production,
      AZORA_CONFIRM_PERMISSIVE_POLICY: 'yes',
    });
    expect(await unconfirmed.exited).toBe(1);

    const confirmed = await run(['--policy', 'permissive'], {
      ...production,
      AZORA_CONFIRM_PERMISSIVE_POLICY: 'every-field-is-public',
    });
    await confirmed.listening();
    expect(confirmed.output()).toContain('PERMISSIVE POLICY');
    expect((await graphql(confirmed.url, '{ unlisted gadget { secret } }')).body).toEqual({
      data: { unlisted: 'leaked', gadget: { secret: 'blueprint' } },
    });
    expect(await confirmed.stop()).toBe(0);

    // Development needs no confirmation, but gets the same warning.
    const development = await run(['--policy', 'permissive'], { NODE_ENV: 'development' });
    await development.listening();
    const warning = development
      .output()
      .split('\n')
      .find((line) => line.includes('PERMISSIVE POLICY'));
    expect(JSON.parse(warning!)).toMatchObject({ level: 40 });
    expect(await development.stop()).toBe(0);
  }, 180_000);
});
