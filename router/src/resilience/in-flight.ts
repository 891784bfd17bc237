import { performance } from 'node:perf_hooks';
import { REQUEST_ID_HEADER } from '@azora/kit';

/**
 * Headers that differ on every request without changing what the subgraph answers: the request id and the trace
 * context. Every other header (the identity assertion above all) is part of what makes two fetches the same.
 */
const PER_REQUEST_HEADERS = new Set([REQUEST_ID_HEADER.toLowerCase(), 'traceparent', 'tracestate', 'baggage']);

/**
 * Which fetches are the same: the body (query, operation name and variables) and every header that reaches the
 * subgraph but those above (the identity assertion among them), so two callers share an answer only when the
 * subgraph would have been asked exactly the same by the same caller.
 */
export function fetchKey(body: string, headers: Record<string, string>): string {
  let key = '';
  for (const name of Object.keys(headers).sort()) {
    const lower = name.toLowerCase();
    if (!PER_REQUEST_HEADERS.has(lower)) key += `${lower}:${headers[name]}\n`;
  }
  return `${key}\n${body}`;
}

interface Pending<T> {
  answer: Promise<T>;
  /** When it started, in the order of fetches started and writes ended. */
  sequence: number;
}

/**
 * Identical queries in flight at the same moment share one subgraph fetch: the first sends it, the others wait for its
 * answer (Apollo Router's `deduplicate_query`). Nothing is kept once the fetch ends: this is not a cache, a query sent
 * a moment later goes to the subgraph again.
 *
 * A caller reads their own writes: once a caller's mutation has ended, their queries no longer join a fetch that
 * started before it (it may have read the data as it was before the write); they send their own, which later
 * identical queries join instead. Writes are remembered per caller (the user, or the kind of caller without one) for
 * as long as a fetch can last; should more callers write within that time than are remembered, the oldest are
 * forgotten by raising the bar for everyone, never by letting anyone join an older fetch.
 */
export class SharedFetches<T> {
  private readonly pending = new Map<string, Pending<T>>();
  /** Each caller's last write: its place in the sequence, and when it ended (monotonic clock, ms). */
  private readonly writes = new Map<string, { sequence: number; at: number }>();
  private sequence = 0;
  /** No fetch started at or before this is joined by anyone: writes forgotten before their time. */
  private floor = 0;

  constructor(
    /** The longest a fetch can be in flight (with a margin): a write older than that precedes every fetch in flight. */
    private readonly maxFetchMs: number,
    private readonly maxWriters = 10_000,
  ) {}

  /** Identical fetches being shared right now. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * The answer to a query: joins the identical fetch in flight (`joined` is told) when it started after the caller's
   * last write, or starts `send` and lets later callers join it until it settles.
   */
  query(key: string, caller: string, send: () => Promise<T>, joined: () => void): Promise<T> {
    const inFlight = this.pending.get(key);
    if (inFlight && inFlight.sequence > this.lastWrite(caller)) {
      joined();
      return inFlight.answer;
    }
    const entry: Pending<T> = { answer: send(), sequence: ++this.sequence };
    this.pending.set(key, entry);
    const done = () => {
      if (this.pending.get(key) === entry) this.pending.delete(key);
    };
    entry.answer.then(done, done);
    return entry.answer;
  }

  /** A write (a mutation): never shared; once it ends, well or not, the caller's queries see what it did. */
  async write<R>(caller: string, send: () => Promise<R>): Promise<R> {
    try {
      return await send();
    } finally {
      this.recordWrite(caller, performance.now());
    }
  }

  private lastWrite(caller: string): number {
    return Math.max(this.floor, this.writes.get(caller)?.sequence ?? 0);
  }

  private recordWrite(caller: string, now: number): void {
    this.writes.delete(caller);
    if (this.writes.size >= this.maxWriters) {
      for (const [key, write] of this.writes) {
        if (this.writes.size < this.maxWriters && write.at > now - this.maxFetchMs) break;
        // Older than any fetch in flight: forgetting it changes nothing. Otherwise everyone waits for newer fetches.
        if (write.at > now - this.maxFetchMs) this.floor = Math.max(this.floor, write.sequence);
        this.writes.delete(key);
      }
    }
    this.writes.set(caller, { sequence: ++this.sequence, at: now });
  }
}
