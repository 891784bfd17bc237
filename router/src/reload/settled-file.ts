import { statSync, type Stats } from 'node:fs';

const sameFile = (a: Stats, b: Stats) => a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;

/**
 * What `read` makes of `files`, once none of them has changed for `settleMs` and none changed while it read them;
 * `undefined` otherwise, for the caller to try again a poll interval later. An editor or `cp` that truncates and then
 * writes is not caught half-way, where a shorter file (a policy, a supergraph) could still pass every check and be
 * applied as it stands. Throws what `read` throws, or when a file cannot be found.
 */
export function readSettled<T>(files: readonly string[], settleMs: number, read: () => T): T | undefined {
  const before = files.map((file) => statSync(file));
  if (before.some((stats) => Date.now() - stats.mtimeMs < settleMs)) return undefined;
  const value = read();
  return files.every((file, i) => sameFile(before[i]!, statSync(file))) ? value : undefined;
}
