import { AsyncLocalStorage } from 'node:async_hooks';
import { DeadlockException, LockWaitTimeoutException } from '@mikro-orm/core';
import type { SqlEntityManager } from './database';

/** The transaction the current code runs in, so `ctx.events.record` writes its event in the same one. */
const activeTransaction = new AsyncLocalStorage<SqlEntityManager>();

/** The entity manager of the `transaction` the caller runs in, if any. */
export function currentTransaction(): SqlEntityManager | undefined {
  return activeTransaction.getStore();
}

/**
 * Errors after which running the whole transaction again can succeed: PostgreSQL's serialization failure (40001) and
 * deadlock (40P01), and SQLite's busy database (another connection holds the write lock past the busy timeout).
 */
const RETRYABLE_CODES = new Set(['40001', '40P01', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']);

export function isRetryableTransactionError(error: unknown): boolean {
  if (error instanceof DeadlockException || error instanceof LockWaitTimeoutException) return true;
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  return RETRYABLE_CODES.has(String(e?.code ?? '')) || RETRYABLE_CODES.has(String(e?.cause?.code ?? ''));
}

export interface TransactionOptions {
  /** How many times the work runs at most (default 4). */
  attempts?: number;
  /** Other errors worth running the work again for (e.g. a lost connection for an idempotent posting). */
  alsoRetry?: (error: unknown) => boolean;
}

/**
 * Runs `work` in one transaction and commits it; on a serialization failure or deadlock (PostgreSQL) or a busy
 * database (SQLite) the whole work runs again, up to `attempts` times, after a short random pause so the
 * transactions that collided do not collide again. `work` must therefore do nothing outside the database that it
 * cannot do twice. Events recorded with `ctx.events.record` inside it are written in the same transaction.
 *
 * Inside a transaction already (a consumer's, or an outer `transaction`), `work` joins it and is not retried on
 * its own: only the outermost transaction can be run again.
 */
export async function transaction<T>(
  em: SqlEntityManager,
  work: (em: SqlEntityManager) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  if (em.isInTransaction()) return activeTransaction.run(em, () => work(em));
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await em.transactional((tx) => activeTransaction.run(tx, () => work(tx)));
    } catch (error) {
      const retry = isRetryableTransactionError(error) || (options.alsoRetry?.(error) ?? false);
      if (!retry || attempt >= attempts) throw error;
      // What the failed attempt loaded or changed is stale: the next one reads afresh.
      em.clear();
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
    }
  }
}
