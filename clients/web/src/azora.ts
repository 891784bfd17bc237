import {
  createAzoraClient,
  createTokenSession,
  type AzoraClient,
  type SessionStore,
  type StoredSession,
  type TokenSession,
} from '@azora/sdk';
import { Client } from '@urql/core';
import { sdkExchange } from './sdk-exchange';

const STORAGE_KEY = 'azora.session';

/**
 * The session lives in this tab's sessionStorage: a reload stays signed in, closing the tab forgets the tokens, and
 * nothing is left on disk for a later visitor or a script on a later visit to read. A new tab signs in on its own.
 * (A script running in an open tab can still read it; the router's strict CSP is what keeps foreign scripts out.)
 * See "Where the session is kept" in the README for the trade-offs.
 */
function readStored(): StoredSession | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}
function writeStored(session: StoredSession | null): void {
  if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE_KEY);
}

/**
 * A duplicated tab starts with a copy of its opener's sessionStorage, so two tabs can hold one refresh token, which
 * works once (spending it twice ends the session). Each change is announced to the other tabs, and a tab holding the
 * session that changed takes up the new one.
 */
interface SessionChange {
  previousRefreshToken: string | null;
  session: StoredSession | null;
}
const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('azora.session') : undefined;

const browserStore: SessionStore = {
  load: readStored,
  save(session) {
    const previous = readStored();
    writeStored(session);
    if (previous && previous.refreshToken !== session?.refreshToken) {
      channel?.postMessage({ previousRefreshToken: previous.refreshToken, session } satisfies SessionChange);
    }
  },
};

/** Tabs that share a refresh token must not spend it twice: the Web Locks API lets one tab at a time refresh. */
const acrossTabs =
  typeof navigator !== 'undefined' && 'locks' in navigator
    ? async <T>(task: () => Promise<T>): Promise<T> => navigator.locks.request('azora-session-refresh', task)
    : undefined;

export interface Azora {
  session: TokenSession;
  /** Calls the listener whenever the session starts, is refreshed by another tab, or ends. */
  onSessionChange(listener: () => void): () => void;
  sdk: AzoraClient;
  /** A urql client for the signed-in user; a new one after every sign-in or sign-out, so no screen shows the last user's data. */
  urqlFor(userId: string | null): Client;
}

/** The app's one session and SDK client, talking to the router that served the page. */
export function createAzora(): Azora {
  const url = new URL('/graphql', window.location.href).toString();
  const listeners = new Set<() => void>();
  const session = createTokenSession({
    url,
    store: browserStore,
    lock: acrossTabs,
    onChange: () => listeners.forEach((listener) => listener()),
  });
  const sdk = createAzoraClient({ url, getToken: session.getToken, refreshToken: session.refreshToken });
  channel?.addEventListener('message', (event: MessageEvent<SessionChange>) => {
    const held = readStored();
    if (!held || held.refreshToken !== event.data.previousRefreshToken) return;
    writeStored(event.data.session);
    session.sync();
  });
  let current: { userId: string | null; client: Client } | undefined;
  return {
    session,
    onSessionChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    sdk,
    urqlFor(userId) {
      if (current?.userId !== userId) {
        // The live connection was authenticated as the previous user: close it; the next subscription opens a new one.
        void sdk.dispose();
        current = { userId, client: new Client({ url, exchanges: [sdkExchange(sdk)] }) };
      }
      return current.client;
    },
  };
}
