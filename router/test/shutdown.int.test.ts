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
        AZORA_SHUTDOWN_DELAY_MS: '400',
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
      const deadline = Date.now() + 30_000;
      for (;;) {
        const ready = await fetch(`${base}/ready`).then(
          (r) => r.status,
          () => 0,
        );
        if (ready === 200) break;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`router did not come up:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }

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
            if (startedAt > signalledAt) await new Promise((r) => setTimeout(r, 20));
          }
        }
      });

      // Signal once requests flow (a loaded machine makes the first ones slow), so some are done and some in flight.
      await until('every worker has had an answer', async () => results.length >= 6, 20_000);
      signalledAt = Date.now();
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      const readyWhileDraining = await fetch(`${base}/ready`);
      expect(readyWhileDraining.status).toBe(503);
      expect(await readyWhileDraining.json()).toMatchObject({ stopping: true });

      expect(await exited).toBe(0);
      stopped = true;
      await Promise.all(workers);

      const inFlight = results.filter((r) => r.startedAt < signalledAt);
      expect(inFlight.length).toBeGreaterThan(6);
      expect(inFlight.filter((r) => !r.ok)).toEqual([]);
      // While /ready said 503 the router still served the requests that reached it.
      expect(results.some((r) => r.startedAt > signalledAt + 100 && r.ok)).toBe(true);
    } finally {
      stopped = true;
      child.kill('SIGKILL');
    }
  });
});
