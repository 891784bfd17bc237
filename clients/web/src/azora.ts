import { createAzoraClient, createTokenSession, type AzoraClient, type SessionStore, type StoredSession, type TokenSession } from '@azora/sdk';
import { Client } from '@urql/core';
import { sdkExchange } from './sdk-exchange';

const STORAGE_KEY = 'azora.session';

/**
 * The session in localStorage, so a reload or a second tab stays signed in. The refresh token is readable by this
 * origin's scripts; the router serves no third-party script, and access tokens live 15 minutes.
 */
const browserStore: SessionStore = {
  load() {
    try {
      const raw = localStorage.getItem(STORAGE_KEY);
      return raw ? (JSON.parse(raw) as StoredSession) : null;
    } catch {
      return null;
    }
  },
  save(session) {
    if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    else localStorage.removeItem(STORAGE_KEY);
  },
};

/** Tabs share one refresh token, and spending it twice ends the session: the Web Locks API lets one tab at a time refresh. */
const acrossTabs =
  typeof navigator !== 'undefined' && 'locks' in navigator
    ? async <T,>(task: () => Promise<T>): Promise<T> => navigator.locks.request('azora-session-refresh', task)
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
  const session = createTokenSession({ url, store: browserStore, lock: acrossTabs, onChange: () => listeners.forEach((listener) => listener()) });
  const sdk = createAzoraClient({ url, getToken: session.getToken, refreshToken: session.refreshToken });
  window.addEventListener('storage', (event) => {
    if (event.key === STORAGE_KEY || event.key === null) session.sync();
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
