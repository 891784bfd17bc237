import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export const wsUrlOf = (routerUrl: string) => routerUrl.replace(/^http/, 'ws');

/** A real graphql-ws client, as the SDK and Sandbox use. */
export function connectWs(routerUrl: string, connectionParams: Record<string, unknown>): Client {
  return createClient({
    url: wsUrlOf(routerUrl),
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
  });
}

/** Runs a subscription and collects its results; `until(n)` waits for n of them (or the end, or a timeout). */
export function collect(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const results: any[] = [];
  let failure: unknown;
  let ended = false;
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (value) => void results.push(value),
      error: (error) => {
        failure = error;
        ended = true;
      },
      complete: () => {
        ended = true;
      },
    },
  );
  return {
    results,
    failure: () => failure,
    ended: () => ended,
    unsubscribe,
    async until(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (results.length < count && !ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      return results;
    },
  };
}
