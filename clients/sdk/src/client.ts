import { credentialsFrom } from './credentials';
import { LiveConnection, webSocketUrlFor } from './live-connection';
import { startSubscription } from './subscription';
import { createTransport } from './transport';
import type { AzoraClient, AzoraClientOptions } from './types';

export { tokenExpiry, webSocketUrlFor } from './live-connection';
export type {
  AzoraClient,
  AzoraClientOptions,
  OperationArgs,
  OperationResult,
  RequestOptions,
  SubscribeOptions,
  SubscriptionObserver,
} from './types';

/**
 * A typed client for the Azora router: queries and mutations over HTTP (transport.ts), subscriptions over one
 * graphql-ws connection (live-connection.ts), each with its own state machine (subscription.ts).
 */
export function createAzoraClient(options: AzoraClientOptions): AzoraClient {
  const credentials = credentialsFrom(options);
  const live = new LiveConnection({
    wsUrl: () => options.wsUrl ?? webSocketUrlFor(options.url),
    webSocketImpl: options.webSocketImpl,
    maxRetryWaitMs: options.maxRetryWaitMs,
    credentials,
  });
  // A request's newer token also re-authenticates the live connection, before its own one expires.
  const transport = createTransport({
    url: options.url,
    fetch: options.fetch,
    credentials,
    tokenUsed: (token) => live.renew(token),
  });
  return {
    query: (document, ...args) => transport.run(document, args),
    mutate: (document, ...args) => transport.run(document, args),
    execute: transport.execute,
    subscribe: (document, variables, observer, subscribeOptions) =>
      startSubscription(live, Boolean(options.refreshToken), document, variables, observer, subscribeOptions),
    dispose: () => live.dispose(),
  };
}
