/**
 * `npm start`: the whole platform on this machine. Composes if needed, starts every subgraph listed in
 * supergraph.yaml as its own process (as production does), then the router, and prints the URLs. Ctrl-C stops all.
 *
 * With no configuration every subgraph uses its own SQLite file under .data/ and demo data is seeded on first start.
 * Set AZORA_DATABASE_URL=postgres://postgres@127.0.0.1:5432 to use one PostgreSQL database per subgraph instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DEMO_PASSWORD, DEMO_USERS, generateAssertionKeys } from '@azora/kit';
import { composeRepo, REPO_ROOT, SUPERGRAPH_CONFIG, writeComposedFiles } from '../router/src/repo-composition';
import { readSupergraphConfig, withUrlOverrides } from '../router/src/supergraph-config';

const children: { name: string; process: ChildProcess }[] = [];
let shuttingDown = false;

function launch(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push({ name, process: child });
  child.on('exit', (code, signal) => {
    if (!shuttingDown) {
      console.error(`\n${name} exited (${signal ?? `code ${code}`}); stopping the platform.`);
      void stopAll(1);
    }
  });
  return child;
}

async function waitUntilReady(name: string, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (shuttingDown) throw new Error('stopped');
    try {
      const response = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs / 1000}s`);
}

async function stopAll(code: number): Promise<never> {
  shuttingDown = true;
  const exits = children
    .filter((c) => c.process.exitCode === null && c.process.signalCode === null)
    .map((c) => new Promise<void>((r) => {
      c.process.once('exit', () => r());
      c.process.kill('SIGTERM');
    }));
  const timeout = new Promise<void>((r) => setTimeout(r, 10_000).unref());
  await Promise.race([Promise.all(exits), timeout]);
  process.exit(code);
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  const composed = composeRepo();
  for (const hint of composed.unacceptedHints) console.warn(`composition hint ${hint.code}: ${hint.message}`);
  writeComposedFiles(composed);

  const production = process.env.NODE_ENV === 'production';
  // The router signs who each caller is; subgraphs accept only that. Development gets a fresh pair per start;
  // production must bring its own (the processes refuse to start without).
  const keys =
    process.env.AZORA_ROUTER_PRIVATE_KEY && process.env.AZORA_ROUTER_PUBLIC_KEY
      ? { privateKey: process.env.AZORA_ROUTER_PRIVATE_KEY, publicKey: process.env.AZORA_ROUTER_PUBLIC_KEY }
      : production
        ? undefined
        : generateAssertionKeys();
  if (!keys) throw new Error('production mode needs AZORA_ROUTER_PRIVATE_KEY and AZORA_ROUTER_PUBLIC_KEY');
  const common: NodeJS.ProcessEnv = {
    AZORA_ROUTER_PUBLIC_KEY: keys.publicKey,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    AZORA_DEMO_DATA: process.env.AZORA_DEMO_DATA ?? (production ? 'false' : 'true'),
    AZORA_DATA_DIR: process.env.AZORA_DATA_DIR ?? join(REPO_ROOT, '.data'),
  };
  if (process.env.DATABASE_URL) {
    throw new Error('DATABASE_URL names one database; npm start runs every subgraph, so use AZORA_DATABASE_URL');
  }

  // AZORA_SUBGRAPH_<NAME>_URL moves a subgraph to another port; the router reads the same variables.
  const subgraphs = withUrlOverrides(readSupergraphConfig(SUPERGRAPH_CONFIG), process.env);
  const started = Date.now();
  for (const subgraph of subgraphs) {
    const port = new URL(subgraph.url).port;
    launch(subgraph.name, join('subgraphs', subgraph.name, 'src', 'index.ts'), { ...common, PORT: port, HOST: '127.0.0.1' });
  }
  await Promise.all(subgraphs.map((s) => waitUntilReady(s.name, s.url)));

  const port = process.env.PORT ?? '4000';
  launch('router', join('router', 'src', 'main.ts'), { ...common, PORT: port, AZORA_ROUTER_PRIVATE_KEY: keys.privateKey });
  const routerUrl = `http://localhost:${port}/graphql`;
  await waitUntilReady('router', routerUrl);

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`
Azora is up in ${seconds}s (${process.env.AZORA_DATABASE_URL ? 'PostgreSQL' : 'embedded SQLite under .data/'}).

  GraphQL endpoint and Apollo Sandbox  ${routerUrl}
  Router health / readiness / metrics  http://localhost:${port}/health  /ready  /metrics
${subgraphs.map((s) => `  subgraph ${s.name.padEnd(28)}${s.url}`).join('\n')}

  Demo users (password "${DEMO_PASSWORD}"):
${DEMO_USERS.map((u) => `    ${u.email.padEnd(22)}${u.roles.join(', ')}`).join('\n')}
  Sign in:  mutation { signIn(input: { email: "${DEMO_USERS[0].email}", password: "${DEMO_PASSWORD}" }) { accessToken } }
  then send the header  Authorization: Bearer <accessToken>

  Try: { users(first: 5) { edges { node { email accounts { id currency balance { amount } } } } } }

Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  void stopAll(1);
});
