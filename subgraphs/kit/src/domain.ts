import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from './database';
import { badInput } from './errors';
import type { Identity } from './identity';
import { forbidden } from './permissions';

/** True when the entity manager talks to PostgreSQL (rather than SQLite). */
export function isPostgres(em: SqlEntityManager): boolean {
  return em.getDriver().constructor.name === 'PostgreSqlDriver';
}

/**
 * Find options that read a row for changing it: locked until the transaction ends on PostgreSQL, and re-read either
 * way. SQLite needs no lock (it has one writer at a time).
 */
export function forUpdate(em: SqlEntityManager): { refresh: true; lockMode?: LockMode } {
  return isPostgres(em) ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : { refresh: true };
}

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Validates a list of slugs such as skill names (`typescript`, `machine-learning`): lower-case words joined by dashes,
 * up to 40 characters each, at most `max`; duplicates are dropped, order is kept.
 */
export function parseSlugs(values: readonly string[], field: string, max: number): string[] {
  const slugs = [...new Set(values.map((v) => v.trim()))];
  const bad = slugs.filter((s) => !SLUG.test(s) || s.length > 40);
  if (bad.length > 0) throw badInput(`Not a slug (lower-case words joined by dashes): ${bad.join(', ')}`, field);
  if (slugs.length > max) throw badInput(`At most ${max} ${field}`, field);
  return slugs;
}

/** Trimmed text between `min` and `max` characters, or BAD_USER_INPUT naming the field. */
export function boundedText(value: string, field: string, min: number, max: number): string {
  const text = value.trim();
  if (text.length < min || text.length > max) throw badInput(`${field} has ${min} to ${max} characters`, field);
  return text;
}

/** The caller's user id when the caller is a person (signed in, or an API key acting for one); FORBIDDEN otherwise. */
export function personId(identity: Identity, message = 'Only a signed-in person can do this'): string {
  if (!identity.userId || (identity.kind !== 'user' && identity.kind !== 'apiKey')) throw forbidden(message);
  return identity.userId;
}
