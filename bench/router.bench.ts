/**
 * `npm run bench`: our router against bare @apollo/gateway + @apollo/server, over the same supergraph and the same
 * seeded subgraphs, each in its own process. Loads both with autocannon (which runs in this process), alternating, per
 * operation; prints RPS, p50/p99 and the ratio ours/bare, each router process's CPU time per request (what a
 * router-bound deployment's throughput follows), router memory after the run, and SQL statements per nested request.
 *
 * Where the CPU of a request goes end to end: around every slice it also reads the subgraphs process's CPU, this
 * process's CPU (the load generator's) and the whole machine's busy CPU (steal left out), and the wall time. Per request,
 * serving CPU = machine busy − load generator: everything that served the request (the router, the subgraphs,
 * PostgreSQL, and whatever else ran on the machine meanwhile); rest = serving − router. The third table's ceiling is
 * the most any router could gain end to end on this machine by spending no CPU, were the rest to use all cores: with a
 * router costing nothing, the machine serves at most cores × 1000 ms ÷ rest ms/request requests per second, shown as a
 * multiple of bare's measured RPS. It is a capacity bound, not a prediction: the rest only reaches it if it can keep
 * every core busy, and "cores busy" says how far from that bare's slices were (latency-bound slices leave cores idle).
 * It holds the rest at what bare's requests cost: a router that also makes the rest cheaper (ours, where deduplication
 * and caches spare the subgraphs work) can go beyond it.
 *
 * For "small, a different user each request", every answer under load is checked to be the one for the user it asked
 * for: concurrent requests that differ only in their variables must never get each other's answers, which one
 * sequential request would not show. Any answer for another user fails the run. (All requests here come from one
 * caller; that two callers never share a fetch is tested through the router in router/test/resilience.int.test.ts.)
 * BENCH_PROFILE=<dir> writes a CPU profile of ours there (`.cpuprofile`, open in Chrome DevTools) when it stops.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { generateAssertionKeys } from '@azora/kit';
import { cpuMs, machineBusyMs, ownCpuMs, rssMiB, spawnService } from './process';

const SIGN_IN = 'mutation SignIn($input: SignInInput!) { signIn(input: $input) { accessToken user { id } } }';
const ACCOUNTS = 'query Accounts { users(first: 100) { edges { node { accounts { id currency } } } } }';
// Many short slices, alternating, so that whatever else the machine does at the time falls on both routers alike.
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
// Per router and operation, before the rounds; 2 s rather than 3 keeps four operations under 3 minutes in all.
const WARMUP_S = 2;

interface Operation {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Variables per request (a mutation needs a fresh idempotency key each time); `variables` otherwise. */
  variablesFor?: (n: number) => Record<string, unknown>;
  /** With `variablesFor`: whether a response (parsed) under load is the answer for the variables it was asked with. */
  answers?: (variables: Record<string, unknown>, response: any) => boolean;
}

const DEPOSIT = 'mutation Deposit($input: DepositInput!) { deposit(input: $input) { id amount { amount currency } } }';

const USER = 'query User($id: ID!) { user(id: $id) { email displayName } }';

/** `emails`: each seeded user's email by id, for checking the answers of the different-user operation under load. */
const operations = (
  userId: string,
  userIds: string[],
  accountIds: string[],
  emails = new Map<string, string>(),
): Operation[] => [
  { name: 'small (one subgraph)', query: USER, variables: { id: userId } },
  {
    // The same, each request for the next of the seeded users: no two concurrent requests alike, so what in-flight
    // deduplication of identical subgraph fetches gains on the one above, it cannot gain here.
    name: 'small, a different user each request',
    query: USER,
    variablesFor: (n) => ({ id: userIds[n % userIds.length] }),
    // Concurrent requests for different users: each must get the answer for its own variables, not another request's.
    answers: (variables, response) =>
      emails.has(variables.id as string) && response?.data?.user?.email === emails.get(variables.id as string),
  },
  {
    name: 'nested (two subgraphs, lists)',
    query:
      'query Nested { users(first: 20) { edges { node { email accounts { currency balance { amount currency } } } } } }',
  },
  {
    // A ledger write: a deposit into one of the seeded accounts, in turn, each with its own idempotency key.
    name: 'mutation (Mint deposit)',
    query: DEPOSIT,
    variablesFor: (n) => ({
      input: { accountId: accountIds[n % accountIds.length], amount: '1.00', idempotencyKey: `bench-${RUN}-${n}` },
    }),
  },
];

const RUN = randomBytes(4).toString('hex');
let requestNumber = 0;
const bodyOf = (op: Operation, variables = op.variablesFor ? op.variablesFor(requestNumber++) : op.variables) =>
  JSON.stringify({ query: op.query, variables });

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never came up`);
}

interface Target {
  url: string;
  headers: Record<string, string>;
}

/** One request; `variables` instead of the operation's own (the next request number's, for a `variablesFor` one). */
async function post(target: Target, op: Operation, variables?: Record<string, unknown>): Promise<any> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: bodyOf(op, variables),
  });
  return response.json();
}

/**
 * Loads `target` with `op` for `durationS`. With `op.answers`, checks every 2xx answer against the variables its request
 * was sent with: autocannon keeps a context per connection (one request in flight on each, no pipelining), reset before
 * each request's setupRequest and handed to onResponse of that request's answer. `wrongAnswers` counts the failed checks.
 */
async function load(target: Target, op: Operation, durationS: number) {
  let wrongAnswers = 0;
  type Context = { variables?: Record<string, unknown> };
  const check = op.answers;
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: bodyOf(op),
    requests: op.variablesFor
      ? [
          {
            setupRequest: (request, context) => {
              const variables = op.variablesFor!(requestNumber++);
              (context as Context).variables = variables;
              return { ...request, body: bodyOf(op, variables) };
            },
            onResponse: check
              ? (status, body, context) => {
                  if (status < 200 || status >= 300) return; // counted as failed already
                  let response: unknown;
                  try {
                    response = JSON.parse(body);
                  } catch {
                    response = undefined;
                  }
                  const { variables } = context as Context;
                  if (!variables || !check(variables, response)) wrongAnswers++;
                }
              : undefined,
          },
        ]
      : undefined,
    connections: CONNECTIONS,
    duration: durationS,
  });
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.errors + result.non2xx + result.timeouts,
    wrongAnswers,
  };
}

/**
 * Per subgraph: the SQL statements the subgraph operations of one client operation issued, by their query-plan names
 * (`Nested__mint__1`), from `azora_subgraph_request_sql_statements`. By name, because other work may still be running
 * (the outbox relays poll, the last load's writes may be finishing).
 */
async function statementsOf(
  operationName: string,
  subgraphUrls: Record<string, string>,
): Promise<Record<string, number>> {
  const pattern = new RegExp(
    `^azora_subgraph_request_sql_statements_sum\\{[^}]*operation_name="${operationName}__[^"]*"[^}]*\\} ([\\d.]+)$`,
    'gm',
  );
  return Object.fromEntries(
    await Promise.all(
      Object.entries(subgraphUrls).map(async ([name, url]) => {
        const text = await (await fetch(new URL('/metrics', url))).text();
        return [name, [...text.matchAll(pattern)].reduce((n, m) => n + Number(m[1]), 0)] as const;
      }),
    ),
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'azora-bench-'));
  const children: ChildProcess[] = [];
  try {
    // The subgraphs trust one router key; both routers sign with it. Aegis creates the admin the bench signs in as.
    const keys = generateAssertionKeys();
    const issuer = 'http://bench.azora.test';
    const adminLogin = { email: `bench-admin-${RUN}@azora.test`, password: randomBytes(12).toString('base64url') };
    const subgraphs = spawnService(['bench/subgraphs.ts'], {
      AZORA_ROUTER_PUBLIC_KEY: keys.publicKey,
      AZORA_ISSUER: issuer,
      AZORA_ADMIN_EMAIL: adminLogin.email,
      AZORA_ADMIN_PASSWORD: adminLogin.password,
      AEGIS_KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
      AEGIS_SECRET_PEPPER: randomBytes(32).toString('base64url'),
    });
    children.push(subgraphs.child);
    const { dialect, userId, userIds, supergraphSdl, urls } = JSON.parse(await subgraphs.firstLine) as {
      dialect: string;
      userId: string;
      userIds: string[];
      supergraphSdl: string;
      urls: Record<string, string>;
    };
    const supergraph = join(dir, 'supergraph.graphql');
    writeFileSync(supergraph, supergraphSdl);
    // Ours runs with everything it has on: authentication and the permission policy, trusted documents enforced (the
    // bench operations are the manifest), operation limits, cost-priced rate limiting (a budget too large to throttle
    // the run), the resilient subgraph client, metrics, logging.
    const manifest = join(dir, 'manifest.json');
    // Distinct texts: two operations may share one document (they differ in their variables only).
    const documents = [...new Set([...operations('', [], []).map((op) => op.query), SIGN_IN, ACCOUNTS])];
    writeFileSync(
      manifest,
      JSON.stringify(
        Object.fromEntries(documents.map((d) => [`sha256:${createHash('sha256').update(d).digest('hex')}`, d])),
      ),
    );

    const barePort = 4600 + Math.floor(Math.random() * 300);
    const oursPort = barePort + 1;
    const ours = spawnService(
      ['router/src/main.ts', '--supergraph', supergraph],
      {
        NODE_ENV: 'production',
        PORT: String(oursPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        AZORA_ROUTER_PRIVATE_KEY: keys.privateKey,
        AZORA_ISSUER: issuer,
        AZORA_TRUSTED_DOCUMENTS: 'enforce',
        AZORA_TRUSTED_DOCUMENTS_MANIFEST: manifest,
        AZORA_RATE_LIMIT_CAPACITY: '1000000000',
        AZORA_RATE_LIMIT_REFILL_PER_SECOND: '1000000000',
        ...(process.env.BENCH_REDIS_URL ? { AZORA_REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
      },
      join(dir, 'router.log'),
      process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [],
    );
    children.push(ours.child);
    await waitReady(`http://127.0.0.1:${oursPort}/ready`);
    const oursUrl = `http://127.0.0.1:${oursPort}/graphql`;
    const signIn = await post(
      { url: oursUrl, headers: {} },
      { name: 'sign in', query: SIGN_IN, variables: { input: adminLogin } },
    );
    if (!signIn.data?.signIn) throw new Error(`admin sign-in failed: ${JSON.stringify(signIn.errors)}`);
    const routers: Record<'bare' | 'ours', Target> = {
      ours: { url: oursUrl, headers: { authorization: `Bearer ${signIn.data.signIn.accessToken}` } },
      bare: { url: `http://127.0.0.1:${barePort}/`, headers: {} },
    };
    // The bare gateway has no authentication: it asserts the same admin to the subgraphs on every request.
    const bare = spawnService(['bench/bare-router.ts', supergraph, String(barePort)], {
      NODE_ENV: 'production',
      AZORA_ROUTER_PRIVATE_KEY: keys.privateKey,
      BENCH_IDENTITY: JSON.stringify({
        kind: 'user',
        userId: signIn.data.signIn.user.id,
        roles: ['admin'],
        scopes: [],
      }),
    });
    children.push(bare.child);
    await bare.firstLine;

    const accounts = await post(routers.ours, { name: 'accounts', query: ACCOUNTS });
    const accountIds: string[] = accounts.data.users.edges.flatMap((e: any) =>
      e.node.accounts.filter((a: any) => a.currency === 'USD').map((a: any) => a.id),
    );
    // Each seeded user's email, from one request per user through each router: they must agree, and tell the users
    // apart, or the check of answers under load proves nothing.
    const emails = new Map<string, string>();
    const user: Operation = { name: 'user', query: USER };
    for (const id of userIds) {
      const [a, b] = [await post(routers.bare, user, { id }), await post(routers.ours, user, { id })];
      const email = a.data?.user?.email;
      if (typeof email !== 'string' || a.errors || JSON.stringify(a) !== JSON.stringify(b)) {
        throw new Error(`user ${id}: routers disagree or fail:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`);
      }
      emails.set(id, email);
    }
    if (new Set(emails.values()).size !== userIds.length)
      throw new Error('seeded users share emails: answers under load cannot be told apart');
    const ops = operations(userId, userIds, accountIds, emails);

    // Both answer the same, or the comparison means nothing (a mutation: both succeed, each with its own variables; a
    // query with variables per request: both asked with the same ones).
    for (const op of ops) {
      const mutation = op.query.startsWith('mutation');
      const variables = op.variablesFor && !mutation ? op.variablesFor(requestNumber++) : undefined;
      const [a, b] = [await post(routers.bare, op, variables), await post(routers.ours, op, variables)];
      const same = mutation
        ? !a.errors && !b.errors && a.data && b.data
        : JSON.stringify(a) === JSON.stringify(b) && !a.errors;
      if (!same) throw new Error(`${op.name}: routers disagree:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`);
    }

    const pids = { bare: bare.child.pid!, ours: ours.child.pid! };
    // CPU ms so far of the router under load, the subgraphs process, this process (autocannon, the load generator) and
    // the whole machine (PostgreSQL, the idle router and whatever else runs are in the last only); wall ms.
    const cpuNow = (router: 'bare' | 'ours') => ({
      router: cpuMs(pids[router]),
      subgraphs: cpuMs(subgraphs.child.pid!),
      bench: ownCpuMs(),
      machine: machineBusyMs(),
      wall: performance.now(),
    });
    // Answers for another user than the one asked, per router, over all loads (warm-ups included).
    const wrongAnswers = { bare: 0, ours: 0 };
    const results: {
      op: string;
      router: 'bare' | 'ours';
      rps: number;
      cpuMsPerRequest: number;
      subgraphsCpuMsPerRequest: number;
      machineMsPerRequest: number;
      /** Machine busy minus the load generator's CPU: everything that served the requests. */
      servingMsPerRequest: number;
      /** Machine busy CPU ms per wall ms of the slice. */
      coresBusy: number;
      p50: number;
      p99: number;
      failed: number;
      wrongAnswers: number;
    }[] = [];
    for (const op of ops) {
      for (const router of ['bare', 'ours'] as const) {
        wrongAnswers[router] += (await load(routers[router], op, WARMUP_S)).wrongAnswers; // warm up JIT, pools, caches
      }
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? (['bare', 'ours'] as const) : (['ours', 'bare'] as const);
        for (const router of order) {
          const before = cpuNow(router);
          const r = await load(routers[router], op, DURATION_S);
          const after = cpuNow(router);
          const delta = (key: keyof typeof before) => after[key] - before[key];
          const perRequest = (key: keyof typeof before) => delta(key) / Math.max(1, r.requests);
          const [cpuMsPerRequest, subgraphsCpuMsPerRequest, machineMsPerRequest] = [
            perRequest('router'),
            perRequest('subgraphs'),
            perRequest('machine'),
          ];
          const servingMsPerRequest = machineMsPerRequest - perRequest('bench');
          const coresBusy = delta('machine') / delta('wall');
          wrongAnswers[router] += r.wrongAnswers;
          results.push({
            op: op.name,
            router,
            ...r,
            cpuMsPerRequest,
            subgraphsCpuMsPerRequest,
            machineMsPerRequest,
            servingMsPerRequest,
            coresBusy,
          });
          console.error(
            `  ${op.name.padEnd(36)} ${router.padEnd(5)} round ${round + 1}: ${r.rps.toFixed(0)} rps, p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
              `router CPU ${cpuMsPerRequest.toFixed(2)} ms/request, subgraphs ${subgraphsCpuMsPerRequest.toFixed(2)}, ` +
              `machine ${machineMsPerRequest.toFixed(2)}, load generator ${perRequest('bench').toFixed(2)}, serving ${servingMsPerRequest.toFixed(2)}, ` +
              `${coresBusy.toFixed(2)} cores busy${r.failed ? `, ${r.failed} failed` : ''}${op.answers ? `, ${r.wrongAnswers} wrong answers` : ''}`,
          );
        }
      }
    }

    // SQL statements per nested request, through our router, from the subgraphs' own per-operation accounting.
    const nested = ops.find((op) => op.name.startsWith('nested'))!;
    const N = 30;
    const before = await statementsOf('Nested', urls);
    for (let i = 0; i < N; i++) await post(routers.ours, nested);
    const after = await statementsOf('Nested', urls);
    const sqlPerRequest = Object.fromEntries(
      Object.keys(after).map((name) => [name, (after[name]! - before[name]!) / N]),
    );

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const rows = ops.map((op) => {
      const pick = (router: 'bare' | 'ours') => results.filter((r) => r.op === op.name && r.router === router);
      const [b, o] = [pick('bare'), pick('ours')];
      const stats = (rs: typeof b) => ({
        rps: mean(rs.map((r) => r.rps)),
        cpu: mean(rs.map((r) => r.cpuMsPerRequest)),
        subgraphsCpu: mean(rs.map((r) => r.subgraphsCpuMsPerRequest)),
        machine: mean(rs.map((r) => r.machineMsPerRequest)),
        serving: mean(rs.map((r) => r.servingMsPerRequest)),
        coresBusy: mean(rs.map((r) => r.coresBusy)),
        p50: mean(rs.map((r) => r.p50)),
        p99: mean(rs.map((r) => r.p99)),
        failed: rs.reduce((n, r) => n + r.failed, 0),
      });
      // The ratio of each round's adjacent pair, then the median: robust to a slow moment hitting one round.
      const median = (xs: number[]) => {
        const sorted = [...xs].sort((x, y) => x - y);
        return (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
      };
      const ratio = median(b.map((r, i) => o[i]!.rps / r.rps));
      // Router CPU per request, bare over ours: how much more a router-bound deployment of ours serves per core.
      const cpuRatio = median(b.map((r, i) => r.cpuMsPerRequest / Math.max(o[i]!.cpuMsPerRequest, 0.001)));
      return { op: op.name, bare: stats(b), ours: stats(o), ratio, cpuRatio };
    });

    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    console.log(
      `\nRouter benchmark — ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, subgraphs on ${dialect}`,
    );
    console.log(
      `autocannon: ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION_S} s per router and operation\n`,
    );
    console.log(
      '| operation | bare RPS | bare p50 / p99 ms | ours RPS | ours p50 / p99 ms | ratio ours/bare (RPS, median of rounds) |',
    );
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const { op, bare: b, ours: o, ratio } of rows) {
      console.log(
        `| ${op} | ${b.rps.toFixed(0)} | ${b.p50.toFixed(1)} / ${b.p99.toFixed(1)} | ${o.rps.toFixed(0)} | ${o.p50.toFixed(1)} / ${o.p99.toFixed(1)} | ${ratio.toFixed(2)} |`,
      );
    }
    console.log(
      '\n| operation | bare router CPU ms/request | ours router CPU ms/request | ratio bare/ours (router-bound throughput, median of rounds) |',
    );
    console.log('|---|---:|---:|---:|');
    for (const { op, bare: b, ours: o, cpuRatio } of rows) {
      console.log(`| ${op} | ${b.cpu.toFixed(2)} | ${o.cpu.toFixed(2)} | ${cpuRatio.toFixed(2)} |`);
    }
    // Where the CPU of a request goes, end to end. Serving CPU = machine busy − the load generator (this process): the
    // router, the subgraphs, PostgreSQL and whatever else ran. Rest = serving − router. A router costing nothing, the
    // machine could serve at most cores × 1000 ms ÷ rest requests per second, and only if the rest kept every core busy
    // (cores busy says how close bare's slices came); as a multiple of bare's measured RPS, that is the ceiling.
    const cores = cpus().length;
    console.log(
      '\n| operation | bare subgraphs CPU ms/request | bare serving CPU ms/request | ours subgraphs CPU ms/request | ' +
        'ours serving CPU ms/request | bare router share of serving CPU | cores busy during bare (of ' +
        cores +
        ') | ' +
        'ceiling × bare RPS: the most any router could gain end to end on this machine by spending no CPU, were the rest to use all cores |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const { op, bare: b, ours: o } of rows) {
      const rest = b.serving - b.cpu;
      const ceiling = rest > 0 && b.rps > 0 ? `${((cores * 1000) / (rest * b.rps)).toFixed(2)}×` : 'n/a';
      console.log(
        `| ${op} | ${b.subgraphsCpu.toFixed(2)} | ${b.serving.toFixed(2)} | ${o.subgraphsCpu.toFixed(2)} | ${o.serving.toFixed(2)} | ` +
          `${((100 * b.cpu) / b.serving).toFixed(0)} % | ${b.coresBusy.toFixed(2)} | ${ceiling} |`,
      );
    }
    const failed = rows.reduce((n, r) => n + r.bare.failed + r.ours.failed, 0);
    console.log(`\nfailed requests: ${failed}`);
    const checked = ops
      .filter((op) => op.answers)
      .map((op) => op.name)
      .join(', ');
    console.log(
      `answers under load for another user than the one asked (${checked}, warm-ups included): bare ${wrongAnswers.bare}, ours ${wrongAnswers.ours}`,
    );
    console.log(
      `router memory (RSS) after the run: bare ${rssMiB(bare.child.pid!).toFixed(0)} MiB, ours ${rssMiB(ours.child.pid!).toFixed(0)} MiB`,
    );
    console.log(
      `SQL statements per nested request: ${Object.entries(sqlPerRequest)
        .map(([n, v]) => `${n} ${v}`)
        .join(', ')}`,
    );
    console.log(`total time ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (failed > 0 || wrongAnswers.bare + wrongAnswers.ours > 0) process.exitCode = 1;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
