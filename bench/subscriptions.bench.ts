/**
 * Subscription fan-out: one router (the whole platform as `npm start` runs it, in a child process so its memory can
 * be read alone) holding N subscribed WebSockets; transfers into the watched account are fanned out to every socket.
 * Prints p50/p99 delivery latency (mutation sent → event received) and the platform's memory per socket.
 *   npm run bench:subscriptions  (SOCKETS=5000 TRANSFERS=5 by default)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { DEMO_PASSWORD, DEMO_USERS } from '@azora/kit';
import { freePort } from '@azora/testing';
import { REPO_ROOT, SUPERGRAPH_CONFIG } from '../router/src/repo-composition';
import { readSupergraphConfig, subgraphUrlVariable } from '../router/src/supergraph-config';
import { rssMiB } from './process';

const SOCKETS = Number(process.env.SOCKETS ?? 5_000);
const TRANSFERS = Number(process.env.TRANSFERS ?? 5);

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'azora-bench-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'error',
    PORT: String(port),
    AZORA_DATA_DIR: dataDir,
    AZORA_WS_MAX_SOCKETS_PER_USER: String(SOCKETS + 10),
    AZORA_WS_MAX_SOCKETS_PER_IP: String(SOCKETS + 10),
  };
  delete env.AZORA_DATABASE_URL;
  for (const { name } of readSupergraphConfig(SUPERGRAPH_CONFIG))
    env[subgraphUrlVariable(name)] = `http://127.0.0.1:${await freePort()}/graphql`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const sockets: WebSocket[] = [];
  try {
    while (!output.includes('Press Ctrl-C')) {
      if (child.exitCode !== null) throw new Error(output);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = `http://127.0.0.1:${port}/graphql`;
    const signIn = async (email: string) =>
      (
        await gql(
          url,
          'mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { accessToken } }',
          { e: email, p: DEMO_PASSWORD },
        )
      ).signIn.accessToken as string;
    const sender = await signIn(DEMO_USERS[0].email);
    const watcher = await signIn(DEMO_USERS[2].email);
    const usd = async (token: string) =>
      (
        (await gql(url, '{ me { accounts { id currency } } }', {}, token)).me.accounts as {
          id: string;
          currency: string;
        }[]
      ).find((a) => a.currency === 'USD')!.id;
    const from = await usd(sender);
    const to = await usd(watcher);

    const rssBefore = rssMiB(child.pid!);
    const received: number[][] = Array.from({ length: TRANSFERS }, () => []);
    let currentSent = 0;
    let current = -1;
    const open = () =>
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(url.replace('http', 'ws'), 'graphql-transport-ws');
        sockets.push(ws);
        ws.on('error', reject);
        ws.on('open', () =>
          ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${watcher}` } })),
        );
        ws.on('message', (data) => {
          const message = JSON.parse(String(data));
          if (message.type === 'connection_ack') {
            ws.send(
              JSON.stringify({
                id: '1',
                type: 'subscribe',
                payload: {
                  query:
                    'subscription($a: ID!) { accountActivity(accountId: $a) { amount { amount } account { owner { displayName } } } }',
                  variables: { a: to },
                },
              }),
            );
            resolve();
          } else if (message.type === 'next' && current >= 0) {
            received[current]!.push(performance.now() - currentSent);
          } else if (message.type === 'error') {
            reject(new Error(JSON.stringify(message.payload)));
          }
        });
      });
    const opened = performance.now();
    for (let i = 0; i < SOCKETS; i += 250) await Promise.all(Array.from({ length: Math.min(250, SOCKETS - i) }, open));
    const openSeconds = (performance.now() - opened) / 1000;
    await new Promise((r) => setTimeout(r, 1_000));
    const rssAfter = rssMiB(child.pid!);

    for (let t = 0; t < TRANSFERS; t++) {
      current = t;
      currentSent = performance.now();
      await gql(
        url,
        'mutation($i: TransferInput!) { transfer(input: $i) { id } }',
        { i: { fromAccountId: from, toAccountId: to, amount: '0.01', idempotencyKey: `bench-${Date.now()}-${t}` } },
        sender,
      );
      const deadline = Date.now() + 60_000;
      while (received[t]!.length < SOCKETS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    }
    const all = received.flat();
    console.log(
      `\nSubscription fan-out: ${SOCKETS} sockets on one router, ${TRANSFERS} events (machine: ${process.platform}, node ${process.version})`,
    );
    console.log(`  sockets opened and subscribed in ${openSeconds.toFixed(1)} s`);
    for (const [i, latencies] of received.entries()) {
      console.log(
        `  event ${i + 1}: delivered to ${latencies.length}/${SOCKETS}, p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
      );
    }
    console.log(`  all events: p50 ${percentile(all, 50).toFixed(0)} ms, p99 ${percentile(all, 99).toFixed(0)} ms`);
    console.log(
      `  platform memory: ${rssBefore.toFixed(0)} MiB → ${rssAfter.toFixed(0)} MiB, ${(((rssAfter - rssBefore) * 1024) / SOCKETS).toFixed(1)} KiB per socket`,
    );
    if (all.length !== SOCKETS * TRANSFERS) process.exitCode = 1;
  } finally {
    for (const ws of sockets) ws.terminate();
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
