import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import type { Credentials } from './credentials';

/** graphql-transport-ws close codes that mean "not with these credentials": worth one token refresh. */
export const AUTH_CLOSE_CODES = new Set([4401, 4403]);

export const isCloseEvent = (value: unknown): value is { code: number; reason: string } =>
  typeof value === 'object' &&
  value !== null &&
  'code' in value &&
  typeof (value as { code: unknown }).code === 'number';

/**
 * When a JWT access token expires (its `exp` claim, in ms), read without verifying: only to know when to renew the
 * live connection's credentials. Undefined for anything else (an opaque token, an API key).
 */
export function tokenExpiry(token: string | null): number | undefined {
  const payload = token?.split('.')[1];
  if (!payload || typeof atob !== 'function') return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** How long before its token expires a live connection is re-authenticated: a fifth of what is left, 5 s to 60 s. */
const renewalLead = (msLeft: number) => Math.min(60_000, Math.max(5_000, msLeft / 5));

/** The URL subscriptions use for an HTTP endpoint. */
export function webSocketUrlFor(url: string): string {
  const ws = new URL(url);
  ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
  return ws.toString();
}

/** What the live connection tells each subscription running on it. */
export interface LiveMember {
  /** Set while the connection is lost, so the subscription hears `reconnected` when it is back. */
  interrupted: boolean;
  reconnected(): void;
  /** The server accepted the connection (connection_ack). */
  accepted(): void;
  setOpen(open: boolean): void;
}

export interface LiveConnectionOptions {
  /** Where to connect, asked when the first subscription opens the connection. */
  wsUrl(): string;
  webSocketImpl?: unknown;
  maxRetryWaitMs?: number;
  credentials: Credentials;
}

/**
 * One WebSocket for all subscriptions, opened on the first and closed after the last (graphql-ws `lazy`), retried
 * for as long as it takes, authenticated in connection_init (never in the URL) and re-authenticated with a ping
 * before its token expires.
 */
export class LiveConnection {
  private ws: WsClient | undefined;
  /** The token the current connection was opened with (the one a refusal refers to). */
  private sentToken: string | null = null;
  /** Set when the server refused the credentials: the next connection refreshes the token first. */
  private authRejectedToken: string | null | undefined;
  private readonly members = new Set<LiveMember>();
  /** The open, accepted socket (graphql-ws hands it over on `connected`), for re-authenticating it. */
  private socket: { readyState: number; send(data: string): void } | undefined;
  private renewalTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: LiveConnectionOptions) {}

  get isOpen(): boolean {
    return this.socket?.readyState === 1;
  }

  join(member: LiveMember): void {
    this.members.add(member);
  }

  leave(member: LiveMember): void {
    this.members.delete(member);
  }

  /**
   * Re-authenticates the open connection with a newer token: the router closes a socket (4403) when the credential it
   * was opened with expires, unless a ping carrying a fresh one arrives first (graphql-transport-ws lets a ping carry a
   * payload). Subscriptions go on undisturbed: no reconnect, nothing missed. A refused renewal changes nothing there,
   * and the socket's close at expiry is then handled like any refusal (one refresh, a new connection).
   */
  renew(token: string | null): void {
    if (!this.socket || !token || token === this.sentToken || this.socket.readyState !== 1) return;
    this.socket.send(JSON.stringify({ type: 'ping', payload: { authorization: `Bearer ${token}` } }));
    this.sentToken = token;
    this.scheduleRenewal();
  }

  /** The server refused the credentials this connection was opened with: the next one refreshes the token first. */
  credentialsRejected(): void {
    this.authRejectedToken = this.sentToken;
  }

  /** Drops the socket at once; graphql-ws reconnects and every subscription on it re-subscribes by itself. */
  terminate(): void {
    this.ws?.terminate();
  }

  async dispose(): Promise<void> {
    clearTimeout(this.renewalTimer);
    await this.ws?.dispose();
    this.ws = undefined;
  }

  /** The graphql-ws client, created on first use. */
  client(): WsClient {
    const { options } = this;
    this.ws ??= createWsClient({
      url: options.wsUrl(),
      webSocketImpl: options.webSocketImpl,
      lazy: true,
      // A wallet page may stay open for hours: keep trying, with a capped exponential wait.
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait: (retries) =>
        new Promise((resolve) =>
          setTimeout(
            resolve,
            Math.min(options.maxRetryWaitMs ?? 30_000, 250 * 2 ** retries) * (0.5 + Math.random() / 2),
          ),
        ),
      // Any lost connection is retried (the default gives up on socket errors such as a refused connection while
      // the router restarts), except a refusal of the credentials: each subscription handles that itself.
      shouldRetry: (event) => !(isCloseEvent(event) && AUTH_CLOSE_CODES.has(event.code)),
      // The credentials travel in connection_init, never in the URL (the router refuses credentials in URLs).
      connectionParams: async () => {
        let token = await options.credentials.current();
        if (this.authRejectedToken !== undefined && options.credentials.refresh) {
          token = (await options.credentials.refresh(this.authRejectedToken)) ?? token;
          this.authRejectedToken = undefined;
        }
        this.sentToken = token;
        const authorization = options.credentials.authorizationFor(token);
        return authorization ? { authorization } : {};
      },
      on: {
        closed: () => {
          this.socket = undefined;
          clearTimeout(this.renewalTimer);
          for (const member of this.members) {
            member.interrupted = true;
            member.setOpen(false);
          }
        },
        connected: (opened) => {
          this.socket = opened as typeof this.socket;
          this.scheduleRenewal();
          for (const member of this.members) {
            member.accepted();
            member.setOpen(true);
            if (!member.interrupted) continue;
            member.interrupted = false;
            member.reconnected();
          }
        },
      },
    });
    return this.ws;
  }

  /** Before the connection's token expires, get a newer one (a token session refreshes it quietly) and send it. */
  private scheduleRenewal(): void {
    clearTimeout(this.renewalTimer);
    this.renewalTimer = undefined;
    const expiresAt = tokenExpiry(this.sentToken);
    if (!this.socket || expiresAt === undefined) return;
    const msLeft = expiresAt - Date.now();
    const renewingFor = this.sentToken;
    const { credentials } = this.options;
    this.renewalTimer = setTimeout(
      () => {
        void (async () => {
          let token = await credentials.current();
          if (token === renewingFor && credentials.refresh) token = await credentials.refresh(renewingFor);
          this.renew(token);
        })().catch(() => {
          // Could not get a newer token now (offline): the socket closes at expiry and reconnects with a refresh.
        });
      },
      Math.max(0, msLeft - renewalLead(msLeft)),
    );
    // Never keeps a Node process alive by itself.
    (this.renewalTimer as { unref?: () => void }).unref?.();
  }
}
