import type { FetcherHeaders, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { Pool } from 'undici';
import type { Logger } from '@azora/kit';
import type { RouterMetrics } from '../metrics';
import type { RouterSettings } from '../settings';
import { annotateActiveSpan } from '../telemetry';
import { fetchKey, type SharedFetches } from './in-flight';
import { RetryBudget } from './retry-budget';

type Resilience = RouterSettings['resilience'];

/** Why a subgraph fetch failed, as the client sees it in `extensions.reason`. */
export type FetchFailure = 'unreachable' | 'connection_lost' | 'timeout' | 'deadline' | 'bad_gateway' | 'circuit_open';

export class SubgraphFetchError extends Error {
  constructor(
    readonly reason: FetchFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SubgraphFetchError';
  }

  /** Safe to send again when the operation is a query. */
  get retriable(): boolean {
    return this.reason !== 'deadline' && this.reason !== 'circuit_open';
  }
}

/** What one fetch is for: queries may be retried, mutations only when the request never left (connection refused). */
export interface SubgraphCall {
  idempotent: boolean;
  /** Whose fetch this is (the user, or the kind of caller without one): they read their own writes. */
  caller: string;
  /** Epoch ms: the request deadline; no attempt starts after it and none waits past it. */
  deadline: number;
}

interface Replica {
  url: URL;
  pool: Pool;
  healthy: boolean;
}

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  for (let e = error as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return e.code;
  }
  return undefined;
}

/** What a subgraph answered, read in full: one per fetch, shared by the callers a deduplicated fetch served. */
export interface Answer {
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * The response headers as the gateway reads them (`get('Content-Type')`, `get('cache-control')`), straight over the
 * header object undici parsed (lower-case names) instead of copying each into a validated `Headers`. Read-only: the
 * gateway never changes a subgraph's response headers.
 */
class AnswerHeaders implements FetcherHeaders {
  constructor(private readonly raw: Answer['headers']) {}
  get(name: string): string | null {
    const key = name.toLowerCase();
    const value = Object.hasOwn(this.raw, key) ? this.raw[key] : undefined;
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }
  has(name: string): boolean {
    return this.get(name) !== null;
  }
  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw)) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }
  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  append(): void {
    throw new Error('subgraph response headers are read-only');
  }
  set(): void {
    throw new Error('subgraph response headers are read-only');
  }
  delete(): void {
    throw new Error('subgraph response headers are read-only');
  }
}

/** Gateway-facing response over an answer: RemoteGraphQLDataSource needs status, headers and the body. */
function fetcherResponse({ url, status, headers, text }: Answer): FetcherResponse {
  const response: FetcherResponse = {
    bodyUsed: false,
    url,
    redirected: false,
    status,
    ok: status >= 200 && status < 300,
    statusText: '',
    headers: new AnswerHeaders(headers),
    text: async () => text,
    json: async () => JSON.parse(text),
    arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
    clone: () => response,
  };
  return response;
}

/**
 * Everything between the gateway and one subgraph: keep-alive connection pools (undici) per replica, round-robin
 * over the replicas that pass their health checks, a timeout per attempt bounded by the request deadline, retries
 * for queries inside a retry budget (mutations only when the connection was refused), a circuit breaker that fails
 * fast with DOWNSTREAM_UNAVAILABLE while the subgraph is down, and one fetch for identical queries in flight at once.
 * A GraphQL error in a 200 (or 4xx) response is an answer, not a failure: only network errors, timeouts and 5xx count
 * against the breaker.
 */
export class SubgraphClient {
  private replicas: Replica[] = [];
  private nextReplica = 0;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly budget: RetryBudget;
  private healthTimer?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    urls: string[],
    private readonly settings: Resilience,
    private readonly metrics: RouterMetrics,
    private readonly log: Logger,
    /** Fetches in flight across all subgraphs, for deduplication and each caller's writes. */
    private readonly shared: SharedFetches<Answer>,
  ) {
    this.setUrls(urls);
    this.budget = new RetryBudget(settings.retry.budgetRatio, settings.retry.minPerSecond);
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof SubgraphFetchError && error.reason !== 'deadline'),
      { halfOpenAfter: settings.breaker.halfOpenMs, breaker: new ConsecutiveBreaker(settings.breaker.threshold) },
    );
    this.metrics.circuitState.set({ subgraph: name }, CircuitState.Closed);
    this.metrics.subgraphFetchesDeduplicated.inc({ subgraph: name }, 0);
    this.breaker.onStateChange((state) => {
      this.metrics.circuitState.set({ subgraph: name }, state === CircuitState.Isolated ? CircuitState.Open : state);
      const level = state === CircuitState.Closed ? 'info' : 'warn';
      this.log[level]({ subgraph: name, circuit: CircuitState[state] }, 'subgraph circuit changed');
    });
  }

  get urls(): string[] {
    return this.replicas.map((r) => r.url.href);
  }

  /** Replaces the replica list (a reloaded supergraph moved the subgraph); pools of removed replicas close. */
  setUrls(urls: string[]): void {
    const kept = new Map(this.replicas.map((r) => [r.url.href, r]));
    this.replicas = urls.map((href) => {
      const existing = kept.get(new URL(href).href);
      if (existing) {
        kept.delete(existing.url.href);
        return existing;
      }
      const url = new URL(href);
      const pool = new Pool(url.origin, { connections: this.settings.connectionsPerReplica, keepAliveTimeout: 10_000 });
      return { url, pool, healthy: true };
    });
    for (const removed of kept.values()) void removed.pool.close();
    for (const r of this.replicas) this.metrics.replicaHealthy.set({ subgraph: this.name, replica: r.url.href }, 1);
  }

  /**
   * Sends one GraphQL POST; throws SubgraphFetchError when no replica answered. With deduplication on, a query
   * identical to one in flight (same body, same identity assertion and other headers) waits for that fetch's answer
   * instead of sending its own.
   */
  async fetch(init: FetcherRequestInit, call: SubgraphCall): Promise<FetcherResponse> {
    const send = () => this.send(init, call);
    if (!this.settings.deduplicateQueries || typeof init.body !== 'string') return fetcherResponse(await send());
    if (!call.idempotent) return fetcherResponse(await this.shared.write(call.caller, send));
    let joined = false;
    const key = `${this.name}\n${fetchKey(init.body, init.headers ?? {})}`;
    const answer = this.shared.query(key, call.caller, send, () => {
      joined = true;
      this.metrics.subgraphFetchesDeduplicated.inc({ subgraph: this.name });
      // The gateway's fetch span gets no subgraph span below it: it says whose fetch answered instead.
      annotateActiveSpan({ 'azora.subgraph.fetch_shared': true });
    });
    if (!joined) return fetcherResponse(await answer);
    try {
      return fetcherResponse(await this.withinDeadline(answer, call));
    } catch (error) {
      // The fetch joined ran out of the deadline of the caller who started it, which can come before this caller's
      // (their plan may have reached this subgraph sooner): with time left, this caller asks for itself.
      if (error instanceof SubgraphFetchError && error.reason === 'deadline' && Date.now() < call.deadline)
        return fetcherResponse(await send());
      throw error;
    }
  }

  /** A joined fetch's answer, or a deadline error once this caller's own deadline passes, whichever comes first. */
  private async withinDeadline(answer: Promise<Answer>, call: SubgraphCall): Promise<Answer> {
    if (!Number.isFinite(call.deadline)) return answer;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SubgraphFetchError('deadline', `request deadline passed while waiting for ${this.name}`)),
        Math.max(0, call.deadline - Date.now()),
      );
    });
    try {
      return await Promise.race([answer, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(init: FetcherRequestInit, call: SubgraphCall): Promise<Answer> {
    this.budget.recordRequest();
    try {
      return await this.breaker.execute(() => this.withRetries(init, call));
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new SubgraphFetchError('circuit_open', `circuit open for subgraph ${this.name}`, { cause: error });
      }
      throw error;
    }
  }

  private async withRetries(init: FetcherRequestInit, call: SubgraphCall): Promise<Answer> {
    const tried = new Set<Replica>();
    for (let attempt = 1; ; attempt++) {
      const replica = this.pick(tried);
      tried.add(replica);
      try {
        return await this.attempt(replica, init, call);
      } catch (error) {
        if (!(error instanceof SubgraphFetchError)) throw error;
        const sendable = call.idempotent ? error.retriable : error.reason === 'unreachable';
        if (
          attempt >= this.settings.retry.maxAttempts ||
          !sendable ||
          Date.now() >= call.deadline ||
          !this.budget.tryRetry()
        ) {
          throw error;
        }
        this.metrics.subgraphRetries.inc({ subgraph: this.name });
        this.log.debug({ subgraph: this.name, reason: error.reason, attempt }, 'retrying subgraph fetch');
      }
    }
  }

  /** Round-robin over healthy replicas not yet tried for this call; failing that, any replica. */
  private pick(tried: Set<Replica>): Replica {
    const n = this.replicas.length;
    for (const acceptable of [(r: Replica) => r.healthy && !tried.has(r), (r: Replica) => !tried.has(r), () => true]) {
      for (let i = 0; i < n; i++) {
        const replica = this.replicas[(this.nextReplica + i) % n]!;
        if (acceptable(replica)) {
          this.nextReplica = (this.nextReplica + i + 1) % n;
          return replica;
        }
      }
    }
    throw new Error(`subgraph ${this.name} has no replicas`);
  }

  private async attempt(replica: Replica, init: FetcherRequestInit, call: SubgraphCall): Promise<Answer> {
    const remaining = call.deadline - Date.now();
    if (remaining <= 0) throw new SubgraphFetchError('deadline', `request deadline passed before calling ${this.name}`);
    const byDeadline = remaining < this.settings.subgraphTimeoutMs;
    // A timer cleared as soon as the attempt ends, not AbortSignal.timeout: that keeps the signal, and through its
    // listeners the request, alive until the timeout fires, which at a few thousand requests a second is a lot.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), byDeadline ? remaining : this.settings.subgraphTimeoutMs);
    const signal = controller.signal;
    try {
      const response = await replica.pool.request({
        path: replica.url.pathname + replica.url.search,
        method: 'POST',
        headers: init.headers,
        body: init.body,
        signal,
      });
      const text = await response.body.text();
      if (response.statusCode >= 500) {
        throw new SubgraphFetchError(
          'bad_gateway',
          `${this.name} answered HTTP ${response.statusCode}: ${text.slice(0, 200)}`,
        );
      }
      return { url: replica.url.href, status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      if (error instanceof SubgraphFetchError) throw error;
      if (signal.aborted) {
        throw byDeadline
          ? new SubgraphFetchError('deadline', `request deadline passed while waiting for ${this.name}`, {
              cause: error,
            })
          : new SubgraphFetchError(
              'timeout',
              `${this.name} did not answer within ${this.settings.subgraphTimeoutMs} ms`,
              { cause: error },
            );
      }
      const code = errorCode(error);
      const refused = code !== undefined && CONNECT_ERRORS.has(code);
      // A refused connection takes the replica out of rotation at once; its health checks bring it back.
      if (refused) this.markHealth(replica, false);
      const detail = `${this.name} at ${replica.url.origin}: ${code ?? (error as Error).message}`;
      throw new SubgraphFetchError(refused ? 'unreachable' : 'connection_lost', detail, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  private markHealth(replica: Replica, healthy: boolean): void {
    if (replica.healthy === healthy) return;
    replica.healthy = healthy;
    this.metrics.replicaHealthy.set({ subgraph: this.name, replica: replica.url.href }, healthy ? 1 : 0);
    this.log[healthy ? 'info' : 'warn'](
      { subgraph: this.name, replica: replica.url.href },
      healthy ? 'replica healthy' : 'replica unhealthy',
    );
  }

  /** Probes every replica's `/ready` now and records the outcome; true when at least one replica is ready. */
  async probe(timeoutMs = Math.min(2000, this.settings.healthCheckIntervalMs)): Promise<boolean> {
    const results = await Promise.all(
      this.replicas.map(async (replica) => {
        let ok: boolean;
        try {
          const response = await replica.pool.request({
            path: '/ready',
            method: 'GET',
            signal: AbortSignal.timeout(timeoutMs),
          });
          await response.body.dump();
          ok = response.statusCode === 200;
        } catch {
          ok = false;
        }
        this.markHealth(replica, ok);
        return ok;
      }),
    );
    return results.some(Boolean);
  }

  startHealthChecks(): void {
    this.healthTimer ??= setInterval(() => void this.probe(), this.settings.healthCheckIntervalMs).unref();
  }

  async close(): Promise<void> {
    clearInterval(this.healthTimer);
    await Promise.all(this.replicas.map((r) => r.pool.close()));
  }
}
