import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import type { Identity, Logger, OperationMetrics } from '@azora/kit';
import { AuthenticationError, type Authenticator } from '../auth/authenticate';

/** What the router knows of one client socket from its connection_init on. */
export interface SocketState {
  identity: Identity;
  ip: string;
  requestId: string;
  subscriptions: number;
  expiry?: NodeJS.Timeout;
}

export interface SocketLimits {
  maxSocketsPerUser: number;
  maxSocketsPerIp: number;
  maxSubscriptionsPerSocket: number;
}

export interface SocketAdmissionOptions {
  authenticator: Authenticator;
  limits: SocketLimits;
  metrics: Pick<OperationMetrics, 'websocketConnections'>;
  log: Logger;
}

/** Close codes a refused or expired socket gets. */
export const CLOSE = { forbidden: 4403, tooMany: 4429 } as const;

const QUERY_CREDENTIALS = /[?&](access_token|token|api_?key)=/i;

/** The credential a client sends in connection_init (or a renewing ping), as the HTTP `authorization` header. */
const credentialsOf = (params: Record<string, unknown> | undefined) => {
  const authorization = typeof params?.authorization === 'string' ? params.authorization : undefined;
  const apiKey = typeof params?.apiKey === 'string' ? `ApiKey ${params.apiKey}` : undefined;
  return { authorization: authorization ?? apiKey };
};

/**
 * Who may hold a socket, and for how long: connection_init is authenticated like an HTTP request (never a credential
 * in the URL, never anonymous), sockets are counted per user and per IP, a socket closes (4403) when its credential
 * expires unless a ping renews it, and each socket runs a bounded number of subscriptions. The frame size limit is the
 * WebSocket server's `maxPayload` (server.ts).
 */
export class SocketAdmission {
  private readonly perUser = new Map<string, number>();
  private readonly perIp = new Map<string, number>();

  constructor(private readonly options: SocketAdmissionOptions) {}

  /** The socket's state when connection_init is accepted; undefined when it is refused (the socket is closed). */
  async connect(
    socket: WebSocket,
    request: IncomingMessage,
    params: Record<string, unknown> | undefined,
  ): Promise<SocketState | undefined> {
    const { authenticator, limits, metrics, log } = this.options;
    const ip = request.socket.remoteAddress ?? 'unknown';
    if (QUERY_CREDENTIALS.test(request.url ?? '')) return undefined; // never in the URL
    let identity: Identity;
    try {
      identity = await authenticator.authenticate(credentialsOf(params), undefined, ip);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) log.error({ err: error }, 'subscription authentication unavailable');
      return undefined;
    }
    if (identity.kind === 'anonymous') return undefined;
    const userKey = identity.userId ?? identity.kind;
    if (
      (this.perUser.get(userKey) ?? 0) >= limits.maxSocketsPerUser ||
      (this.perIp.get(ip) ?? 0) >= limits.maxSocketsPerIp
    ) {
      socket.close(CLOSE.tooMany, 'Too many connections');
      return undefined;
    }
    this.count(this.perUser, userKey, 1);
    this.count(this.perIp, ip, 1);
    const state: SocketState = { identity, ip, requestId: crypto.randomUUID(), subscriptions: 0 };
    this.armExpiry(socket, state);
    metrics.websocketConnections.inc();
    socket.once('close', () => metrics.websocketConnections.dec());
    return state;
  }

  /** Re-authentication: a ping carrying a fresh credential for the same caller extends the socket's life. */
  async renew(socket: WebSocket, state: SocketState, payload: Record<string, unknown>): Promise<void> {
    if (typeof payload.authorization !== 'string') return;
    const credentials = credentialsOf(payload);
    // graphql-ws answers a ping with a pong echoing its payload: the credential must not travel back.
    delete payload.authorization;
    delete payload.apiKey;
    try {
      const renewed = await this.options.authenticator.authenticate(credentials, undefined, state.ip);
      if (renewed.userId === state.identity.userId && renewed.kind === state.identity.kind) {
        state.identity = renewed;
        this.armExpiry(socket, state);
      }
    } catch {
      // A bad renewal changes nothing; the old credential still expires on time.
    }
  }

  /** The socket closed: it no longer counts against its user and IP. */
  disconnect(state: SocketState): void {
    if (state.expiry) clearTimeout(state.expiry);
    this.count(this.perUser, state.identity.userId ?? state.identity.kind, -1);
    this.count(this.perIp, state.ip, -1);
  }

  /** Whether the socket may start one more subscription. */
  hasRoomFor(state: SocketState): boolean {
    return state.subscriptions < this.options.limits.maxSubscriptionsPerSocket;
  }

  /** Closes the socket when the credential expires, unless the client re-authenticates (a ping with a new token). */
  private armExpiry(socket: WebSocket, state: SocketState): void {
    if (state.expiry) clearTimeout(state.expiry);
    if (!state.identity.expiresAt) return;
    const ms = Math.max(0, state.identity.expiresAt * 1000 - Date.now());
    state.expiry = setTimeout(() => socket.close(CLOSE.forbidden, 'Credential expired'), ms).unref();
  }

  private count(map: Map<string, number>, key: string, delta: number): void {
    const next = (map.get(key) ?? 0) + delta;
    if (next <= 0) map.delete(key);
    else map.set(key, next);
  }
}
