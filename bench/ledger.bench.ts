/**
 * Ledger throughput: the same transfers through the router (HTTP, auth, rule tree, gateway, Mint) and straight into
 * Mint's LedgerService on the same database, side by side, on SQLite and (when reachable) PostgreSQL.
 *   npm run bench:ledger  (TRANSFERS=600 CONCURRENCY=16 by default)
 */
import { requestContext, type Identity, type SqlEntityManager } from '@azora/kit';
import { fundedAccount, postgresReachable, startPlatform, TEST_POSTGRES_SERVER, type Platform } from '../test/support';
import { mint } from '../subgraphs/mint/src/schema';

const TRANSFERS = Number(process.env.TRANSFERS ?? 600);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);

async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function measure(platform: Platform) {
  const people = await Promise.all(Array.from({ length: 8 }, (_, i) => platform.signUp(`bench-${i}`)));
  const accounts: string[] = [];
  for (const person of people) accounts.push(await fundedAccount(platform, person, '100000.00'));
  const pair = (i: number) => ({ from: i % people.length, to: (i + 1 + (i % (people.length - 1))) % people.length });

  const viaRouter = await pool(TRANSFERS, CONCURRENCY, async (i) => {
    const { from, to } = pair(i);
    const { body } = await platform.request(
      'mutation($i: TransferInput!) { transfer(input: $i) { id } }',
      { i: { fromAccountId: accounts[from], toAccountId: accounts[to], amount: '0.01', idempotencyKey: `r-${i}` } },
      people[from]!.headers,
    );
    if (body.errors) throw new Error(JSON.stringify(body.errors));
  });
  const orm = platform.subgraphs.mint!.orm;
  const direct = await pool(TRANSFERS, CONCURRENCY, async (i) => {
    const { from, to } = pair(i);
    const caller: Identity = { kind: 'user', userId: people[from]!.userId, roles: ['learner'], scopes: [] };
    const { ledger } = requestContext(mint, {
      em: orm.em.fork() as SqlEntityManager,
      identity: caller,
      config: { AZORA_MINT_MAX_AMOUNT: 1_000_000 },
    }).services;
    await ledger.transfer({
      fromAccountId: accounts[from]!,
      toAccountId: accounts[to]!,
      amount: '0.01',
      idempotencyKey: `d-${i}`,
    });
  });
  return { viaRouter, direct };
}

async function main() {
  const dialects: ('sqlite' | 'postgresql')[] = ['sqlite'];
  if (await postgresReachable()) {
    process.env.AZORA_TEST_POSTGRES = TEST_POSTGRES_SERVER;
    dialects.push('postgresql');
  }
  console.log(
    `\nLedger: ${TRANSFERS} transfers at ${CONCURRENCY} concurrent clients, per run (node ${process.version})`,
  );
  console.log('  database     through router   straight into LedgerService   router / direct');
  for (const dialect of dialects) {
    const platform = await startPlatform({ dialect, subgraphs: ['aegis', 'mint', 'forge'] });
    try {
      const { viaRouter, direct } = await measure(platform);
      console.log(
        `  ${dialect.padEnd(12)} ${viaRouter.toFixed(0).padStart(8)} /s      ${direct.toFixed(0).padStart(8)} /s                    ${(viaRouter / direct).toFixed(2)}`,
      );
    } finally {
      await platform.stop();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
