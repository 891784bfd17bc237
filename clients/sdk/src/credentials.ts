import type { GraphQLFormattedError } from 'graphql';
import type { AzoraClientOptions } from './types';

export const UNAUTHENTICATED = 'UNAUTHENTICATED';

export const isUnauthenticated = (errors: readonly GraphQLFormattedError[] | undefined) =>
  errors?.some((error) => error.extensions?.code === UNAUTHENTICATED) ?? false;

/** Where the transport and the live connection get the caller's credential, the same way. */
export interface Credentials {
  /** The current access token, or null. */
  current(): Promise<string | null>;
  /** The `Authorization` value for a token (or the API key when there is none). */
  authorizationFor(token: string | null): string | undefined;
  /** A fresh token after `rejected` was refused, or null; absent when the client cannot refresh. */
  refresh?: (rejected: string | null) => Promise<string | null>;
}

export function credentialsFrom(options: AzoraClientOptions): Credentials {
  return {
    current: async () => (await options.getToken?.()) ?? null,
    authorizationFor: (token) => (token ? `Bearer ${token}` : options.apiKey ? `ApiKey ${options.apiKey}` : undefined),
    refresh: options.refreshToken,
  };
}
