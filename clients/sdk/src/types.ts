import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';
import type { AzoraError } from './errors';

export type MaybePromise<T> = T | Promise<T>;

export interface AzoraClientOptions {
  /** The router's GraphQL endpoint, absolute: `http://localhost:4000/graphql`. */
  url: string;
  /** Where subscriptions connect (graphql-transport-ws). Default: `url` with `ws:`/`wss:`. */
  wsUrl?: string;
  /** The current access token, or null when signed out. Asked before every request and every WebSocket connection. */
  getToken?: () => MaybePromise<string | null | undefined>;
  /**
   * Called when the router answers UNAUTHENTICATED to a request that carried `rejectedToken`. Resolves to a fresh
   * access token (the request is sent once more with it) or null (the error stands). A token session's
   * `refreshToken` fits here.
   */
  refreshToken?: (rejectedToken: string | null) => Promise<string | null>;
  /** An API key (`Authorization: ApiKey …`), for devices and integrations; used when there is no token. */
  apiKey?: string;
  /** Another fetch (tests, instrumentation). Default: the global one. */
  fetch?: typeof fetch;
  /** A WebSocket class where there is no global one (Node 20: `import WebSocket from 'ws'`). */
  webSocketImpl?: unknown;
  /** Most milliseconds between two attempts to re-establish a lost subscription connection. Default 30 s. */
  maxRetryWaitMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/**
 * Variables are optional exactly when the operation has no required variable: when the empty object (written
 * `Record<never, never>`, the same type as `{}`) is a valid TVariables.
 */
export type OperationArgs<TVariables> =
  Record<never, never> extends TVariables
    ? [variables?: TVariables, options?: RequestOptions]
    : [variables: TVariables, options?: RequestOptions];

/** What one GraphQL response carries. */
export interface OperationResult<TData> {
  data: TData | null;
  errors: readonly GraphQLFormattedError[] | undefined;
  /** The HTTP status (200 for subscription events). */
  status: number;
}

export interface SubscriptionObserver<TData> {
  /** One event. */
  next(data: TData): void;
  /** The subscription failed for good (refused, or the server reported an error); nothing more will arrive. */
  error?(error: AzoraError): void;
  /** The server ended the subscription. */
  complete?(): void;
  /**
   * The live connection the subscription runs on is open and the server accepted it (graphql-ws `connection_ack`),
   * and the subscription is sent on it: from now on it is live. Called again each time a lost connection is back
   * (before `reconnected`). graphql-transport-ws acknowledges connections, not subscriptions, so this is the earliest
   * sign the protocol gives; a server may still be starting the subscription when it comes.
   */
  connected?(): void;
  /** The live connection was lost; the SDK is re-establishing it, and calls `connected` once it is back. */
  disconnected?(): void;
  /**
   * The connection was lost and is back, and the subscription runs again. Events in between are lost unless the
   * subscription resumes from a cursor (`resume`); without one, refetch what the screen shows.
   */
  reconnected?(): void;
}

export interface SubscribeOptions<TData, TVariables> {
  /**
   * For subscriptions that take a cursor argument: after a reconnect the subscription is sent again with
   * `variables[variable]` set to the cursor of the last event received, so nothing is missed or repeated.
   */
  resume?: { variable: keyof TVariables & string; cursor(data: TData): string | null | undefined };
}

export interface AzoraClient {
  /** Runs a query; resolves to its data, or rejects with an AzoraError (which carries any partial data). */
  query<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...args: OperationArgs<TVariables>
  ): Promise<TData>;
  /** Runs a mutation; same contract as `query`. */
  mutate<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...args: OperationArgs<TVariables>
  ): Promise<TData>;
  /** Runs a query or mutation and returns data and errors as they came (for GraphQL clients that want both). */
  execute<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables | undefined,
    options?: RequestOptions,
  ): Promise<OperationResult<TData>>;
  /** Starts a subscription over graphql-ws; returns the function that stops it. */
  subscribe<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: NoInfer<TVariables>,
    observer: SubscriptionObserver<TData>,
    options?: SubscribeOptions<TData, TVariables>,
  ): () => void;
  /** Closes the WebSocket, if one is open. */
  dispose(): Promise<void>;
}
