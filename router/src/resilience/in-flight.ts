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

/**
 * Identical queries in flight at the same moment share one subgraph fetch: the first sends it, the others wait for its
 * answer (Apollo Router's `deduplicate_query`). Only for queries; a mutation is always sent once per caller. Nothing is
 * kept once the fetch ends: this is not a cache, a query sent a moment later goes to the subgraph again.
 */
export class InFlightFetches<T> {
  private readonly pending = new Map<string, Promise<T>>();

  /** How many fetches are being shared right now (for tests and debugging). */
  get size(): number {
    return this.pending.size;
  }

  /**
   * The answer to `key`: joins the fetch already in flight (`joined` is told), or starts `send` and lets others join
   * it until it settles.
   */
  run(key: string, send: () => Promise<T>, joined: () => void): Promise<T> {
    const inFlight = this.pending.get(key);
    if (inFlight) {
      joined();
      return inFlight;
    }
    const started = send().finally(() => this.pending.delete(key));
    this.pending.set(key, started);
    return started;
  }
}
