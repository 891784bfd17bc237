import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  graphql,
  seedUsers,
  startFaultProxy,
  startPlatform,
  TEST_ISSUER,
  until,
  type FaultProxy,
  type Platform,
} from '@azora/testing';
import { REPO_ROOT } from '../src/repo-composition';

const WITH_ACCOUNTS = '{ users(first: 2) { edges { node { email accounts { currency } } } } }';

describe('graceful shutdown of the router process', () => {
  let platform: Platform;
  /** The platform admin: listing users is theirs alone. */
  let admin: Record<string, string>;
  let proxy: FaultProxy;
  let dir: string;

  beforeAll(async () => {
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis', 'mint', 'forge'] });
    admin = (await platform.admin()).headers;
    await seedUsers(platform, 2, 'shutdown');
    // Mint answers slowly, so requests are in flight when SIGTERM arrives.
    proxy = await startFaultProxy(platform.subgraphs.mint!.url);
    proxy.mode = { kind: 'pass', delayMs: 300 };
    dir = mkdtempSync(join(tmpdir(), 'azora-shutdown-'));
  });
  afterAll(async () => {
    await proxy?.close();
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('on SIGTERM turns /ready 503, finishes every in-flight request, and exits 0', async () => {
    const supergraph = join(dir, 'supergraph.graphql');
    writeFileSync(supergraph, platform.supergraphSdl);
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'router/src/main.ts', '--supergraph', supergraph], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        AZORA_SUBGRAPH_MINT_URL: proxy.url,
        // Long enough for the test to see the 503 and send one more request on a busy machine.
        AZORA_SHUTDOWN_DELAY_MS: '2000',
        AZORA_RATE_LIMIT: 'false',
        AZORA_ROUTER_PRIVATE_KEY: platform.routerPrivateKey,
        AZORA_ISSUER: TEST_ISSUER,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    let stopped = false;
    try {
      const readiness = () =>
        fetch(`${base}/ready`).then(
          (r) => r.status,
          () => 0,
        );
      await until(
        'the router is ready',
        async () => {
          if (child.exitCode !== null) throw new Error(`router did not come up:\n${output}`);
          return (await readiness()) === 200;
        },
        30_000,
      );

      let signalledAt = Number.POSITIVE_INFINITY;
      const loadEnds = Date.now() + 20_000;
      const results: { startedAt: number; ok: boolean; detail: string }[] = [];
      const workers = Array.from({ length: 6 }, async () => {
        while (!stopped && Date.now() < loadEnds) {
          const startedAt = Date.now();
          try {
            const { status, body } = await graphql(`${base}/graphql`, WITH_ACCOUNTS, undefined, admin);
            const ok =
              status === 200 && !body.errors && body.data.users.edges.every((e: any) => Array.isArray(e.node.accounts));
            results.push({ startedAt, ok, detail: `${status} ${JSON.stringify(body.errors ?? '')}` });
          } catch (error) {
            results.push({ startedAt, ok: false, detail: String((error as Error).cause ?? error) });
            if (startedAt > signalledAt) return; // refused after the signal: the listener has closed
          }
        }
      });

      // Signal once requests flow (a loaded machine makes the first ones slow), so some are done and some in flight.
      await until('every worker has had an answer', async () => results.length >= 6, 20_000);
      signalledAt = Date.now();
      child.kill('SIGTERM');
      await until('/ready says 503', async () => (await readiness()) === 503, 5_000);
      const readyWhileDraining = await fetch(`${base}/ready`);
      expect(await readyWhileDraining.json()).toMatchObject({ stopping: true });
      // While /ready says 503 the router still serves the requests that reach it (the load balancer has not yet
      // stopped sending): one sent now, after the 503 was seen, is answered in full.
      const whileDraining = await graphql(`${base}/graphql`, WITH_ACCOUNTS, undefined, admin);
      expect(whileDraining.status).toBe(200);
      expect(whileDraining.body.errors).toBeUndefined();

      expect(await exited).toBe(0);
      stopped = true;
      await Promise.all(workers);

      const inFlight = results.filter((r) => r.startedAt < signalledAt);
      expect(inFlight.length).toBeGreaterThan(6);
      expect(inFlight.filter((r) => !r.ok)).toEqual([]);
    } finally {
      stopped = true;
      child.kill('SIGKILL');
    }
  });
});
