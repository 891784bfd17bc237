import { IsolationLevel } from '@mikro-orm/core';
import { isPostgres, type SqlEntityManager } from '@azora/kit';
import { Account } from './entities/account.entity';
import type { Currency } from './entities/currency.entity';
import type { Context } from './schema';

export interface LedgerProblem {
  accountId: string | null;
  transferId: string | null;
  problem: string;
}

export interface LedgerReport {
  currency: Currency;
  balanced: boolean;
  accounts: number;
  transfers: number;
  entries: number;
  totalMinor: bigint;
  outsideWorldMinor: bigint;
  escrowMinor: bigint;
  problems: LedgerProblem[];
}

const big = (value: unknown): bigint => BigInt(String(value ?? 0).split('.')[0]!);

/** Reconciliation for operators, as the API's `ledgerReport` asks for it (treasury and admins, by the router's rule). */
export class ReportService {
  constructor(private readonly ctx: Context) {}

  async ledgerReport(currencyCode: string): Promise<LedgerReport> {
    return ledgerReport(this.ctx.em, await this.ctx.services.money.currency(currencyCode));
  }
}

/**
 * Recomputes every balance from the entries and checks the invariants — each transfer has two entries summing to
 * zero, each balance equals the sum of its entries, versions run 1..n without gaps, no user balance is negative, and
 * the currency sums to zero. A constant number of aggregate queries, whatever the size.
 */
export async function ledgerReport(outer: SqlEntityManager, currency: Currency): Promise<LedgerReport> {
  // One snapshot for every query: transfers committed while the report runs must not show up in some of them only.
  // A read, so nothing to retry: the kit's `transaction` is for writes.
  return outer
    .fork()
    .transactional(
      (em) => reconcile(em, currency),
      isPostgres(outer) ? { isolationLevel: IsolationLevel.REPEATABLE_READ } : {},
    );
}

async function reconcile(em: SqlEntityManager, currency: Currency): Promise<LedgerReport> {
  const connection = em.getConnection();
  const accounts = await em.find(Account, { currency: currency.code });
  const run = <T extends Record<string, unknown>[]>(sql: string, params: unknown[]) =>
    connection.execute<T>(sql, params, 'all', em.getTransactionContext());
  const perAccount = await run<{ account_id: string; total: unknown; n: unknown; max_version: unknown }[]>(
    `select account_id, sum(amount_minor) as total, count(*) as n, max(account_version) as max_version
       from ledger_entries where currency = ? group by account_id`,
    [currency.code],
  );
  const perTransfer = await run<{ transfer_id: string; total: unknown; n: unknown }[]>(
    `select transfer_id, sum(amount_minor) as total, count(*) as n
       from ledger_entries where currency = ? group by transfer_id`,
    [currency.code],
  );
  const [transferCount] = await run<{ n: unknown }[]>('select count(*) as n from transfers where currency = ?', [
    currency.code,
  ]);

  const problems: LedgerProblem[] = [];
  const computed = new Map(perAccount.map((row) => [row.account_id, row]));
  let totalMinor = 0n;
  for (const account of accounts) {
    totalMinor += account.balanceMinor;
    const row = computed.get(account.id);
    const sum = big(row?.total);
    const count = Number(row?.n ?? 0);
    if (sum !== account.balanceMinor) {
      problems.push({
        accountId: account.id,
        transferId: null,
        problem: `balance ${account.balanceMinor} but entries sum to ${sum}`,
      });
    }
    if (count !== account.version || Number(row?.max_version ?? 0) !== account.version) {
      problems.push({
        accountId: account.id,
        transferId: null,
        problem: `version ${account.version} but ${count} entries up to version ${row?.max_version ?? 0}`,
      });
    }
    if (account.kind !== 'SYSTEM' && account.balanceMinor < 0n) {
      problems.push({ accountId: account.id, transferId: null, problem: `negative balance ${account.balanceMinor}` });
    }
    computed.delete(account.id);
  }
  for (const orphan of computed.keys())
    problems.push({ accountId: orphan, transferId: null, problem: 'entries for an unknown account' });
  for (const row of perTransfer) {
    if (Number(row.n) !== 2 || big(row.total) !== 0n) {
      problems.push({
        accountId: null,
        transferId: row.transfer_id,
        problem: `${row.n} entries summing to ${big(row.total)}`,
      });
    }
  }
  if (perTransfer.length !== Number(transferCount?.n ?? 0)) {
    problems.push({
      accountId: null,
      transferId: null,
      problem: `${transferCount?.n} transfers but ${perTransfer.length} have entries`,
    });
  }
  if (totalMinor !== 0n)
    problems.push({ accountId: null, transferId: null, problem: `balances sum to ${totalMinor}, not zero` });

  const byKind = (kind: string) => accounts.filter((a) => a.kind === kind).reduce((sum, a) => sum + a.balanceMinor, 0n);
  return {
    currency,
    balanced: problems.length === 0,
    accounts: accounts.filter((a) => a.kind === 'USER').length,
    transfers: perTransfer.length,
    entries: perAccount.reduce((sum, row) => sum + Number(row.n), 0),
    totalMinor,
    outsideWorldMinor: byKind('SYSTEM'),
    escrowMinor: byKind('ESCROW'),
    problems,
  };
}
