import { createAzoraClient } from './client';
import { AzoraError } from './errors';
import {
  RefreshSessionDocument,
  SignInDocument,
  SignOutDocument,
  SignUpDocument,
  type SessionFragment,
  type SessionUserFragment,
  type SignInInput,
  type SignUpInput,
} from './generated/graphql';

/** A signed-in session as kept between requests (and, in a browser, between page loads). */
export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, in milliseconds since the epoch. */
  expiresAt: number;
  user: SessionUserFragment;
}

/** Where the session lives: memory by default; the web app keeps it in the tab's sessionStorage. */
export interface SessionStore {
  load(): StoredSession | null;
  save(session: StoredSession | null): void;
}

export function memorySessionStore(initial: StoredSession | null = null): SessionStore {
  let session = initial;
  return {
    load: () => session,
    save: (next) => {
      session = next;
    },
  };
}

export interface TokenSessionOptions {
  /** The router's GraphQL endpoint (absolute). */
  url: string;
  fetch?: typeof fetch;
  store?: SessionStore;
  /**
   * Runs a refresh exclusively among everything that shares the store (browser tabs: the Web Locks API). A refresh
   * token works once and reusing one ends the whole session, so two tabs must never spend the same one.
   */
  lock?: <T>(task: () => Promise<T>) => Promise<T>;
  /** Refresh this long before the access token expires, so no request is sent with an expired one. Default 60 s. */
  refreshMarginMs?: number;
  /** The clock (tests). */
  now?: () => number;
  /** Told whenever the session starts, is refreshed or ends (a refresh token that no longer works ends it). */
  onChange?: (session: StoredSession | null) => void;
}

export interface TokenSession {
  /** The signed-in session, or null. */
  readonly current: StoredSession | null;
  signUp(input: SignUpInput): Promise<StoredSession>;
  signIn(input: SignInInput): Promise<StoredSession>;
  /** Ends the session at the server (its refresh token stops working) and here. */
  signOut(): Promise<void>;
  /** An access token that is not about to expire (refreshed quietly when it is), or null when signed out. */
  getToken(): Promise<string | null>;
  /**
   * A new access token after the router refused `rejectedToken`, or null when the session has ended. Concurrent
   * calls share one refresh, and a token that was already replaced is not refreshed again.
   */
  refreshToken(rejectedToken?: string | null): Promise<string | null>;
  /** Takes up what another holder of the store did (another tab signed in, refreshed or signed out). */
  sync(): void;
}

const sameSession = (a: StoredSession | null, b: StoredSession | null) => a?.refreshToken === b?.refreshToken;

/**
 * Signs in and keeps the tokens fresh: hand `getToken` and `refreshToken` to `createAzoraClient`. The session talks to
 * the router anonymously through its own client, so refreshing never depends on the token being refreshed.
 */
export function createTokenSession(options: TokenSessionOptions): TokenSession {
  const store = options.store ?? memorySessionStore();
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 60_000;
  const lock = options.lock ?? (<T>(task: () => Promise<T>) => task());
  const anonymous = createAzoraClient({ url: options.url, fetch: options.fetch });
  let state = store.load();
  let refreshing: Promise<string | null> | undefined;

  const set = (next: StoredSession | null, persist = true): StoredSession | null => {
    const changed = !sameSession(state, next);
    state = next;
    if (persist) store.save(next);
    if (changed) options.onChange?.(next);
    return next;
  };
  const fromPayload = (payload: SessionFragment): StoredSession => ({
    accessToken: payload.accessToken,
    refreshToken: payload.refreshToken,
    expiresAt: now() + payload.expiresIn * 1000,
    user: payload.user,
  });

  const refresh = () =>
    lock(async () => {
      // Another tab may have refreshed (or signed out) while this one waited: its tokens are the live ones, ours spent.
      const stored = store.load();
      if (!sameSession(stored, state)) return set(stored, false)?.accessToken ?? null;
      if (!state) return null;
      try {
        const { refreshSession } = await anonymous.mutate(RefreshSessionDocument, { refreshToken: state.refreshToken });
        return set(fromPayload(refreshSession))!.accessToken;
      } catch (error) {
        // Ended, expired or reused: the session is over. Anything else (the network) leaves it for the next try.
        if (error instanceof AzoraError && error.has('UNAUTHENTICATED')) return (set(null), null);
        throw error;
      }
    });

  const refreshToken = (rejectedToken?: string | null): Promise<string | null> => {
    if (rejectedToken !== undefined && state && state.accessToken !== rejectedToken)
      return Promise.resolve(state.accessToken);
    refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  return {
    get current() {
      return state;
    },
    async signUp(input) {
      const { signUp } = await anonymous.mutate(SignUpDocument, { input });
      return set(fromPayload(signUp))!;
    },
    async signIn(input) {
      const { signIn } = await anonymous.mutate(SignInDocument, { input });
      return set(fromPayload(signIn))!;
    },
    async signOut() {
      const ending = state;
      set(null);
      // Signed out here whatever happens; the server is told so that the refresh token cannot be used again.
      if (ending) await anonymous.mutate(SignOutDocument, { refreshToken: ending.refreshToken }).catch(() => undefined);
    },
    async getToken() {
      if (!state) return null;
      if (state.expiresAt - margin > now()) return state.accessToken;
      return refreshToken(state.accessToken);
    },
    refreshToken,
    sync() {
      set(store.load(), false);
    },
  };
}
