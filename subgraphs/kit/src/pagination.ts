import { z } from 'zod';
import { badInput } from './errors';

/** The arguments of every cursor connection: `first` items after the opaque cursor `after`. */
export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const cursorPayload = z.object({ k: z.string().min(1).max(200) });

export const encodeCursor = (key: string): string => Buffer.from(JSON.stringify({ k: key })).toString('base64url');

export function decodeCursor(cursor: string): string {
  try {
    return cursorPayload.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).k;
  } catch {
    throw badInput('`after` is not a cursor this API returned', 'after');
  }
}

/** Validates `first`/`after` and returns the page size and the decoded key to continue after. */
export function pageRequest(args: ConnectionArgs): { limit: number; afterKey: string | null } {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badInput(`\`first\` must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  }
  return { limit: first, afterKey: args.after ? decodeCursor(args.after) : null };
}

/**
 * Builds a connection from rows fetched with `limit + 1` so `hasNextPage` costs no extra query.
 */
export function toConnection<T>(rows: T[], limit: number, keyOf: (row: T) => string): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
