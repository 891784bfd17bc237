/**
 * `npm run bench:subgraphs`: each subgraph on its own, without the router: one process per subgraph (production mode,
 * PostgreSQL when reachable), seeded through its own GraphQL API, then loaded with autocannon for a representative
 * read and, where a client writes, a representative write. Requests carry router-signed identity assertions, as the
 * router's would. Prints per operation: requests/s, p50/p99, and the subgraph process's CPU per operation, which is
 * what sizes its replicas (docs/scaling.md). About 90 s.
 *   BENCH_SECONDS (7 per operation, after a 1 s warm-up), BENCH_CONNECTIONS (10), BENCH_REDIS_URL (redis://127.0.0.1:6379),
 *   BENCH_SUBGRAPHS (e.g. `forge,lms`: measure only these; all are started and seeded anyway)
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import {
  generateAssertionKeys,
  IDENTITY_HEADER,
  privateKeyFromPem,
  signIdentityAssertion,
  type Identity,
} from '@azora/kit';
import { cpuMs, spawnService } from './process';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 7);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUBGRAPHS = ['aegis', 'mint', 'nexus', 'lms', 'forge'] as const;
type Name = (typeof SUBGRAPHS)[number];
const RUN = randomBytes(4).toString('hex');
/**
 * CPU a replica may use before its autoscaler adds one, in cores: the 500m request times the 70 % utilisation target
 * of docker/kubernetes/base/<subgraph>.yaml. The table's "ops/s per replica" divides it by the CPU of one operation.
 */
const REPLICA_CPU_CORES = 0.5 * 0.7;

const keys = generateAssertionKeys();
const routerKey = privateKeyFromPem(keys.privateKey);
const person = (roles: string[], userId: string = randomUUID()): Identity => ({
  kind: 'user',
  userId,
  roles,
  scopes: [],
});
const ADMIN = person(['admin']);
const FACULTY = person(['faculty']);
const EMPLOYER = person(['employer']);
const TREASURY = person(['treasury']);

/** One subgraph host process; resolves with its first stdout line (its URLs) once it serves. */
function host(
  names: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; ready: Promise<{ dialect: string; urls: Record<string, string> }> } {
  const { child, firstLine } = spawnService(['bench/subgraph-host.ts', ...names], env);
  const ready = firstLine.then((line) => JSON.parse(line) as { dialect: string; urls: Record<string, string> });
  ready.catch(() => undefined);
  return { child, ready };
}

/**
 * Waits until `count` has not moved for three checks 200 ms apart (a consumer that has caught up), and returns it;
 * throws after `timeoutMs`, so a bus that never delivers fails the run instead of skewing it.
 */
async function settled(what: string, count: () => Promise<number>, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await count();
  for (let unchanged = 0; unchanged < 3;) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} to settle`);
    await new Promise((r) => setTimeout(r, 200));
    const now = await count();
    unchanged = now === last ? unchanged + 1 : 0;
    last = now;
  }
  return last;
}

/** The sum of a metric's samples on a process's `/metrics` (e.g. Nexus's handled-event count). */
async function metricSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function call(
  url: string,
  identity: Identity,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [IDENTITY_HEADER]: await signIdentityAssertion(identity, routerKey),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

interface Operation {
  subgraph: Name;
  name: string;
  query: string;
  variables: Record<string, unknown>;
  /** Variables per request instead (a deposit needs a fresh idempotency key each time). */
  variablesFor?: () => Record<string, unknown>;
  /** The caller; a write gets a fresh person per request (one enrollment or application each). */
  identity: Identity | (() => Identity);
}

/** Assertions signed ahead of a slice: autocannon builds requests synchronously, and signing is async. */
async function assertionsFor(op: Operation, count: number): Promise<string[]> {
  if (typeof op.identity !== 'function') return [await signIdentityAssertion(op.identity, routerKey)];
  const make = op.identity;
  return Promise.all(Array.from({ length: count }, () => signIdentityAssertion(make(), routerKey)));
}

/** Assertions handed out in turn; the warm-up and the measured slice share one, so no new person comes twice. */
interface Assertions {
  list: string[];
  next: number;
}

async function load(url: string, op: Operation, seconds: number, assertions: Assertions) {
  let failed = 0;
  const bodyOf = () =>
    JSON.stringify({ query: op.query, variables: op.variablesFor ? op.variablesFor() : op.variables });
  const fixed = bodyOf();
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          body: op.variablesFor ? bodyOf() : fixed,
          headers: {
            ...request.headers,
            'content-type': 'application/json',
            [IDENTITY_HEADER]: assertions.list[assertions.next++ % assertions.list.length]!,
          },
        }),
        onResponse: (status, responseBody) => {
          if (status !== 200 || responseBody.includes('"errors"')) failed += 1;
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failed: failed + result.errors + result.timeouts,
  };
}

async function seed(urls: Record<Name, string>) {
  // Aegis: 20 people (signUp hashes a password: this is the slow part of seeding).
  for (let i = 0; i < 20; i++) {
    await call(
      urls.aegis,
      { kind: 'anonymous', userId: null, roles: [], scopes: [] },
      'mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }',
      {
        i: { email: `bench-${RUN}-${i}@azora.test`, password: `bench-password-${RUN}`, displayName: `Bench ${i}` },
      },
    );
  }
  // Mint: 20 funded accounts.
  const accounts: string[] = [];
  for (let i = 0; i < 20; i++) {
    const { openAccount } = await call(
      urls.mint,
      person(['learner']),
      'mutation { openAccount(input: { currency: "USD" }) { id } }',
    );
    accounts.push(openAccount.id);
    await call(urls.mint, TREASURY, 'mutation($i: DepositInput!) { deposit(input: $i) { id } }', {
      i: { accountId: openAccount.id, amount: '1000.00', idempotencyKey: `seed-${openAccount.id}` },
    });
  }
  // LMS: 20 published courses of 2 modules with 2 lessons each.
  const courses: string[] = [];
  for (let c = 0; c < 20; c++) {
    const { createCourse } = await call(
      urls.lms,
      FACULTY,
      'mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }',
      {
        i: {
          title: `Bench course ${c}`,
          summary: 'A course of the subgraph benchmark.',
          level: 'BEGINNER',
          skills: ['typescript', 'graphql'],
        },
      },
    );
    for (let m = 0; m < 2; m++) {
      const { addModule } = await call(
        urls.lms,
        FACULTY,
        'mutation($c: ID!, $t: String!) { addModule(courseId: $c, title: $t) { id } }',
        { c: createCourse.id, t: `Module ${m}` },
      );
      for (let l = 0; l < 2; l++) {
        await call(
          urls.lms,
          FACULTY,
          'mutation($m: ID!, $i: AddLessonInput!) { addLesson(moduleId: $m, input: $i) { id } }',
          { m: addModule.id, i: { title: `Lesson ${l}`, content: '# Lesson\n\nRead, then try.' } },
        );
      }
    }
    await call(urls.lms, FACULTY, 'mutation($c: ID!) { publishCourse(id: $c) { id } }', { c: createCourse.id });
    courses.push(createCourse.id);
  }
  // Forge: 20 open jobs.
  const jobs: string[] = [];
  for (let j = 0; j < 20; j++) {
    const { postJob } = await call(urls.forge, EMPLOYER, 'mutation($i: PostJobInput!) { postJob(input: $i) { id } }', {
      i: {
        title: `Bench job ${j}`,
        description: 'A job of the subgraph benchmark.',
        skills: ['typescript', 'graphql'],
        budget: { amount: '500.00', currency: 'USD' },
      },
    });
    jobs.push(postJob.id);
  }
  return { accounts, courses, jobs };
}

function operations(data: { accounts: string[]; courses: string[]; jobs: string[] }): Operation[] {
  let deposit = 0;
  return [
    {
      subgraph: 'aegis',
      name: 'read: users(first: 20) { email displayName roles }',
      query: 'query Users { users(first: 20) { edges { node { id email displayName roles } } } }',
      variables: {},
      identity: ADMIN,
    },
    {
      subgraph: 'mint',
      name: 'read: account(id) { balance entries(first: 10) }',
      query:
        'query Account($id: ID!) { account(id: $id) { id currency balance { amount currency } entries(first: 10) { edges { node { id amount { amount } } } } } }',
      variables: { id: data.accounts[0] },
      identity: TREASURY,
    },
    {
      subgraph: 'mint',
      name: 'write: deposit (ledger posting under row locks)',
      query: 'mutation Deposit($i: DepositInput!) { deposit(input: $i) { id } }',
      variables: {},
      // A fresh idempotency key per request; the account rotates over the 20.
      variablesFor: () => ({
        i: {
          accountId: data.accounts[deposit % data.accounts.length],
          amount: '1.00',
          idempotencyKey: `bench-${RUN}-${deposit++}`,
        },
      }),
      identity: TREASURY,
    },
    {
      subgraph: 'nexus',
      name: 'read: events(first: 20) { topic type payload }',
      query: 'query Events { events(first: 20) { edges { cursor node { id topic type source payload occurredAt } } } }',
      variables: {},
      identity: ADMIN,
    },
    {
      subgraph: 'lms',
      name: 'read: courses(first: 20) { level lessonCount skills instructor } (catalogue page)',
      query:
        'query Courses { courses(first: 20) { edges { node { id title summary level lessonCount skills { slug } instructor { id } } } } }',
      variables: {},
      identity: ADMIN,
    },
    {
      subgraph: 'lms',
      name: 'read: course(id) { modules { lessons { content } } } (course page)',
      query:
        'query Course($id: ID!) { course(id: $id) { id title summary level skills { slug } modules { title lessons { title content } } } }',
      variables: { id: data.courses[0] },
      identity: ADMIN,
    },
    {
      subgraph: 'lms',
      name: 'write: enroll (a new learner each)',
      query: 'mutation Enroll($c: ID!) { enroll(courseId: $c) { id progress } }',
      variables: { c: data.courses[0] },
      identity: () => person(['learner']),
    },
    {
      subgraph: 'forge',
      name: 'read: jobs(first: 20) { skills budget }',
      query:
        'query Jobs { jobs(first: 20) { edges { node { id title status skills { slug name } budget { amount currency } } } } }',
      variables: {},
      identity: ADMIN,
    },
    {
      subgraph: 'forge',
      name: 'write: applyToJob (a new applicant each)',
      query: 'mutation Apply($j: ID!) { applyToJob(jobId: $j, pitch: "I can do this.") { id status } }',
      variables: { j: data.jobs[0] },
      identity: () => person(['learner']),
    },
  ];
}

async function main(): Promise<void> {
  const started = Date.now();
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  const redisUp = await redis.connect().then(
    () => true,
    () => false,
  );
  redis.disconnect();
  const stream = `azora:bench:${RUN}`;
  const env = {
    AZORA_ROUTER_PUBLIC_KEY: keys.publicKey,
    AZORA_ISSUER: 'http://bench.azora.test',
    AEGIS_KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
    AEGIS_SECRET_PEPPER: randomBytes(32).toString('base64url'),
    ...(redisUp ? { BENCH_REDIS_URL: REDIS_URL, BENCH_EVENT_STREAM: stream } : {}),
  };
  // With Redis, one process per subgraph (its CPU is its own) and Nexus logs everyone's events; without, one process.
  const hosts = redisUp
    ? SUBGRAPHS.map((name) => ({ names: [name], ...host([name], env) }))
    : [{ names: [...SUBGRAPHS], ...host([...SUBGRAPHS], env) }];
  try {
    const ready = await Promise.all(hosts.map((h) => h.ready));
    const urls = Object.assign({}, ...ready.map((r) => r.urls)) as Record<Name, string>;
    const pidOf = (name: Name) => hosts.find((h) => h.names.includes(name))!.child.pid!;
    const data = await seed(urls);
    const logged = () => metricSum(urls.nexus, 'azora_event_consumer_lag_seconds_count');
    // Nexus has logged the seeding's events once the bus has delivered them all.
    if (redisUp) await settled("Nexus's log of the seeding events", logged);

    const rows: string[] = [];
    let failures = 0;
    const only = process.env.BENCH_SUBGRAPHS?.split(',');
    for (const op of operations(data).filter((o) => !only || only.includes(o.subgraph))) {
      const assertions = { list: await assertionsFor(op, 8000), next: 0 };
      const measure = (seconds: number) => load(urls[op.subgraph], op, seconds, assertions);
      await measure(1); // warm-up: JIT, pools, caches
      const nexusBefore = { cpuMs: cpuMs(pidOf('nexus')), logged: await logged() };
      const cpuBefore = cpuMs(pidOf(op.subgraph));
      const result = await measure(SECONDS);
      const cpu = cpuMs(pidOf(op.subgraph)) - cpuBefore;
      const msPerOp = result.total > 0 ? cpu / result.total : NaN;
      const row = (subgraph: string, name: string, rps: string, latency: string, ms: number, failed: number | string) =>
        rows.push(
          `| ${subgraph} | ${name} | ${rps} | ${latency} | ${ms.toFixed(2)} | ${(REPLICA_CPU_CORES / (ms / 1000)).toFixed(0)} | ${failed} |`,
        );
      row(op.subgraph, op.name, result.rps.toFixed(0), `${result.p50} / ${result.p99}`, msPerOp, result.failed);
      failures += result.failed;
      console.error(`  ${op.subgraph} ${op.name}: ${result.rps.toFixed(0)}/s`);
      if (op.name.startsWith('write') && redisUp) {
        // Nexus's share of a write: logging its event (consumed from the bus), measured once Nexus has caught up.
        const count = await settled("Nexus's log of the writes' events", logged);
        const events = count - nexusBefore.logged;
        const nexusMs = (cpuMs(pidOf('nexus')) - nexusBefore.cpuMs) / events;
        row('nexus', `consume: log one event (${events} from the ${op.subgraph} writes above)`, '', '', nexusMs, '');
      }
    }
    console.log(
      `\nSubgraphs directly (no router), ${CONNECTIONS} connections, ${SECONDS} s per operation after a 1 s warm-up, ${ready[0]!.dialect}, ${redisUp ? 'Redis event bus, one process per subgraph' : 'in-process bus, one process for all (CPU per operation is the whole process)'}; node ${process.version}`,
    );
    console.log(
      `| subgraph | operation | requests/s | p50 / p99 ms | subgraph CPU ms per op | ops/s per replica at ${Math.round(REPLICA_CPU_CORES * 1000)}m | failed |`,
    );
    console.log('|---|---|---:|---:|---:|---:|---:|');
    for (const row of rows) console.log(row);
    console.log(
      `\n(${((Date.now() - started) / 1000).toFixed(0)} s; CPU is the subgraph process only, not PostgreSQL's)`,
    );
    if (failures > 0) {
      console.log(`${failures} requests failed`);
      process.exitCode = 1;
    }
  } finally {
    for (const h of hosts) h.child.kill('SIGTERM');
    await Promise.all(
      hosts.map(
        (h) => new Promise((resolve) => (h.child.exitCode !== null ? resolve(null) : h.child.once('exit', resolve))),
      ),
    );
    if (redisUp) {
      const cleanup = new Redis(REDIS_URL);
      await cleanup.del(stream);
      cleanup.disconnect();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
