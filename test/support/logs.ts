import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@azora/kit';

export interface CapturedLogs {
  /** Every JSON line written so far, parsed. */
  lines: Record<string, any>[];
  /** The same lines exactly as written. */
  raw(): string;
  /** For `startPlatform({ loggerFor })`: every service logs into this capture at `level`. */
  loggerFor(service: string): Logger;
}

/** Collects what the kit loggers of a test platform write, to check log content. */
export function captureLogs(level = 'debug'): CapturedLogs {
  const lines: Record<string, any>[] = [];
  let raw = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      raw += String(chunk);
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, raw: () => raw, loggerFor: (service) => createLogger(service, level, stream) };
}

/** The SQL statements each subgraph issued for one request id, from the subgraphs' own per-request accounting. */
export function statementsOf(logLines: Record<string, unknown>[], requestId: string): Record<string, number> {
  const finished = logLines.filter((l) => l.requestId === requestId && l.msg === 'graphql request finished');
  const totals: Record<string, number> = {};
  for (const line of finished)
    totals[line.service as string] = (totals[line.service as string] ?? 0) + (line.statements as number);
  return totals;
}
