import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';
import { createClient as createWsClient, type Client as WsClient, type SubscribePayload } from 'graphql-ws';
import { documentText, operationOf } from './documents';
import { AzoraError } from './errors';

type MaybePromise<T> = T | Promise<T>;

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

/** Variables are optional exactly when the operation has no required variable. */
export type OperationArgs<TVariables> = {} extends TVariables
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

const UNAUTHENTICATED = 'UNAUTHENTICATED';
/** graphql-transport-ws close codes that mean "not with these credentials": worth one token refresh. */
const AUTH_CLOSE_CODES = new Set([4401, 4403]);

const isCloseEvent = (value: unknown): value is { code: number; reason: string } =>
  typeof value === 'object' &&
  value !== null &&
  'code' in value &&
  typeof (value as { code: unknown }).code === 'number';
const isUnauthenticated = (errors: readonly GraphQLFormattedError[] | undefined) =>
  errors?.some((error) => error.extensions?.code === UNAUTHENTICATED) ?? false;

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

/** A typed client for the Azora router: queries and mutations over HTTP, subscriptions over graphql-ws. */
export function createAzoraClient(options: AzoraClientOptions): AzoraClient {
  // Looked up per call, and never called as a method of `options` (browsers refuse a fetch bound to another object).
  const fetchImpl: typeof fetch = options.fetch ?? ((...args) => fetch(...args));
  const currentToken = async () => (await options.getToken?.()) ?? null;
  const authorizationFor = (token: string | null) =>
    token ? `Bearer ${token}` : options.apiKey ? `ApiKey ${options.apiKey}` : undefined;

  async function post<TData>(
    body: string,
    token: string | null,
    signal: AbortSignal | undefined,
  ): Promise<OperationResult<TData>> {
    const authorization = authorizationFor(token);
    let response: Response;
    try {
      response = await fetchImpl(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(authorization ? { authorization } : {}),
        },
        body,
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw AzoraError.client('NETWORK_ERROR', 'The Azora server could not be reached', { cause: error });
    }
    const text = await response.text();
    let parsed: { data?: TData | null; errors?: GraphQLFormattedError[] };
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw AzoraError.client('BAD_RESPONSE', `The server answered ${response.status} without a GraphQL response`, {
        status: response.status,
        cause: error,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || (!('data' in parsed) && !Array.isArray(parsed.errors))) {
      throw AzoraError.client('BAD_RESPONSE', `The server answered ${response.status} without a GraphQL response`, {
        status: response.status,
      });
    }
    return { data: parsed.data ?? null, errors: parsed.errors, status: response.status };
  }

  async function execute<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables | undefined,
    requestOptions: RequestOptions = {},
  ): Promise<OperationResult<TData>> {
    const { type, name } = operationOf(document);
    if (type === 'subscription') throw new Error(`${name ?? 'This operation'} is a subscription: use subscribe()`);
    const body = JSON.stringify({ query: documentText(document), operationName: name, variables: variables ?? {} });
    const token = await currentToken();
    renewLiveCredentials(token);
    const result = await post<TData>(body, token, requestOptions.signal);
    // Only a refusal with no data is retried: the router refuses before any field runs (authentication, then the
    // rule tree over the whole operation), so nothing happened and a mutation cannot run twice.
    if (options.refreshToken && result.data === null && isUnauthenticated(result.errors)) {
      const fresh = await options.refreshToken(token);
      renewLiveCredentials(fresh);
      if (fresh) return post<TData>(body, fresh, requestOptions.signal);
    }
    return result;
  }

  async function run<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    args: OperationArgs<TVariables>,
  ): Promise<TData> {
    const [variables, requestOptions] = args;
    const result = await execute(document, variables, requestOptions);
    if (result.errors?.length || result.data === null) {
      throw new AzoraError(
        result.errors ?? [{ message: 'The response had no data', extensions: { code: 'BAD_RESPONSE' } }],
        {
          data: result.data,
          status: result.status,
        },
      );
    }
    return result.data;
  }

  // Subscriptions: one WebSocket for all of them, opened on the first and closed after the last (graphql-ws `lazy`).
  let ws: WsClient | undefined;
  /** The token the current connection was opened with (the one a refusal refers to). */
  let sentToken: string | null = null;
  /** Set when the server refused the credentials: the next connection refreshes the token first. */
  let authRejectedToken: string | null | undefined;
  const live = new Set<{ interrupted: boolean; reconnected(): void; accepted(): void; setOpen(open: boolean): void }>();
  /** The open, accepted socket (graphql-ws hands it over on `connected`), for re-authenticating it. */
  let socket: { readyState: number; send(data: string): void } | undefined;
  let renewalTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Re-authenticates the open connection with a newer token: the router closes a socket (4403) when the credential it
   * was opened with expires, unless a ping carrying a fresh one arrives first (graphql-transport-ws lets a ping carry a
   * payload). Subscriptions go on undisturbed: no reconnect, nothing missed. A refused renewal changes nothing there,
   * and the socket's close at expiry is then handled like any refusal (one refresh, a new connection).
   */
  function renewLiveCredentials(token: string | null): void {
    if (!socket || !token || token === sentToken || socket.readyState !== 1) return;
    socket.send(JSON.stringify({ type: 'ping', payload: { authorization: `Bearer ${token}` } }));
    sentToken = token;
    scheduleRenewal();
  }

  /** Before the connection's token expires, get a newer one (a token session refreshes it quietly) and send it. */
  function scheduleRenewal(): void {
    clearTimeout(renewalTimer);
    renewalTimer = undefined;
    const expiresAt = tokenExpiry(sentToken);
    if (!socket || expiresAt === undefined) return;
    const msLeft = expiresAt - Date.now();
    const renewingFor = sentToken;
    renewalTimer = setTimeout(
      () => {
        void (async () => {
          let token = await currentToken();
          if (token === renewingFor && options.refreshToken) token = await options.refreshToken(renewingFor);
          renewLiveCredentials(token);
        })().catch(() => {
          // Could not get a newer token now (offline): the socket closes at expiry and reconnects with a refresh.
        });
      },
      Math.max(0, msLeft - renewalLead(msLeft)),
    );
    // Never keeps a Node process alive by itself.
    (renewalTimer as { unref?: () => void }).unref?.();
  }

  function wsClient(): WsClient {
    ws ??= createWsClient({
      url: options.wsUrl ?? webSocketUrlFor(options.url),
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
      // the router restarts), except a refusal of the credentials: that is handled per subscription below.
      shouldRetry: (event) => !(isCloseEvent(event) && AUTH_CLOSE_CODES.has(event.code)),
      // The credentials travel in connection_init, never in the URL (the router refuses credentials in URLs).
      connectionParams: async () => {
        let token = await currentToken();
        if (authRejectedToken !== undefined && options.refreshToken) {
          token = (await options.refreshToken(authRejectedToken)) ?? token;
          authRejectedToken = undefined;
        }
        sentToken = token;
        const authorization = authorizationFor(token);
        return authorization ? { authorization } : {};
      },
      on: {
        closed: () => {
          socket = undefined;
          clearTimeout(renewalTimer);
          for (const subscription of live) {
            subscription.interrupted = true;
            subscription.setOpen(false);
          }
        },
        connected: (opened) => {
          socket = opened as typeof socket;
          scheduleRenewal();
          for (const subscription of live) {
            subscription.accepted();
            subscription.setOpen(true);
            if (!subscription.interrupted) continue;
            subscription.interrupted = false;
            subscription.reconnected();
          }
        },
      },
    });
    return ws;
  }

  function subscribe<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: NoInfer<TVariables>,
    observer: SubscriptionObserver<TData>,
    subscribeOptions: SubscribeOptions<TData, TVariables> = {},
  ): () => void {
    const { type, name } = operationOf(document);
    if (type !== 'subscription') throw new Error(`${name ?? 'This operation'} is a ${type}: use query() or mutate()`);
    const resume = subscribeOptions.resume;
    let cursor: string | null | undefined;
    const query = documentText(document);
    // graphql-ws serialises this payload again each time it re-subscribes after a reconnect, so the getter hands it
    // the cursor of the last event received at that moment.
    const payload: SubscribePayload = {
      query,
      operationName: name,
      get variables() {
        return (resume && cursor != null ? { ...variables, [resume.variable]: cursor } : variables) as Record<
          string,
          unknown
        >;
      },
    };
    let stopped = false;
    // One token refresh per refusal; a refusal right after it is final. The router also closes a socket (4403) when
    // its credential expires, so a connection refusal counts again once a connection has been accepted, and a
    // subscription refusal once an event has arrived.
    const refused = { connection: false, subscription: false };
    /** Each (re)start is a new attempt; messages still arriving for an abandoned attempt are ignored. */
    let attempt = 0;
    let dispose = () => {};
    /** Whether the observer was last told `connected` (true) or `disconnected` (false): it hears of each change once. */
    let open = false;
    const entry = {
      interrupted: false,
      reconnected: () => observer.reconnected?.(),
      accepted: () => {
        refused.connection = false;
      },
      setOpen: (now: boolean) => {
        if (stopped || open === now) return;
        open = now;
        if (now) observer.connected?.();
        else observer.disconnected?.();
      },
    };
    const finish = () => {
      stopped = true;
      live.delete(entry);
      dispose();
    };
    const fail = (error: AzoraError) => {
      if (stopped) return;
      finish();
      observer.error?.(error);
    };
    // The credentials belong to the connection (connection_init), so the new attempt needs a new connection: when
    // the server refused the subscription rather than the socket, the socket is dropped, and every other subscription
    // on it re-subscribes on the new one by itself.
    const retryWithFreshToken = (rejected: AzoraError, what: keyof typeof refused) => {
      if (refused[what] || !options.refreshToken) return fail(rejected);
      refused[what] = true;
      attempt++;
      dispose();
      authRejectedToken = sentToken;
      // Not from inside graphql-ws's handling of the refusal: dropping the socket there loses the new subscription.
      setTimeout(() => {
        if (stopped) return;
        if (what === 'subscription') ws?.terminate();
        start();
      });
    };
    const start = () => {
      const mine = ++attempt;
      const ours = () => !stopped && mine === attempt;
      dispose = wsClient().subscribe<TData>(payload, {
        next: (result) => {
          if (!ours()) return;
          if (result.errors?.length) {
            const error = new AzoraError(result.errors as readonly GraphQLFormattedError[], {
              data: result.data,
              status: 200,
            });
            return error.has(UNAUTHENTICATED) ? retryWithFreshToken(error, 'subscription') : fail(error);
          }
          if (result.data == null) return;
          refused.subscription = false;
          if (resume) cursor = resume.cursor(result.data) ?? cursor;
          observer.next(result.data);
        },
        error: (error) => {
          if (!ours()) return;
          if (Array.isArray(error)) {
            const refusal = new AzoraError(error as GraphQLFormattedError[], { status: 200 });
            return refusal.has(UNAUTHENTICATED) ? retryWithFreshToken(refusal, 'subscription') : fail(refusal);
          }
          if (isCloseEvent(error) && AUTH_CLOSE_CODES.has(error.code)) {
            return retryWithFreshToken(
              new AzoraError([
                {
                  message: error.reason || 'The server refused the credentials',
                  extensions: { code: error.code === 4403 ? 'FORBIDDEN' : UNAUTHENTICATED },
                },
              ]),
              'connection',
            );
          }
          fail(
            AzoraError.client(
              'CONNECTION_CLOSED',
              isCloseEvent(error)
                ? `The live connection closed (${error.code} ${error.reason})`
                : 'The live connection failed',
              {
                cause: error,
              },
            ),
          );
        },
        complete: () => {
          if (!ours()) return;
          finish();
          observer.complete?.();
        },
      });
      // On a connection that is already open and accepted, graphql-ws sends the subscription without a new
      // `connected`: it is live now (told asynchronously, as every other callback is).
      if (socket?.readyState === 1) void Promise.resolve().then(() => ours() && entry.setOpen(true));
    };
    live.add(entry);
    start();
    return () => {
      if (!stopped) finish();
    };
  }

  return {
    query: (document, ...args) => run(document, args),
    mutate: (document, ...args) => run(document, args),
    execute,
    subscribe,
    async dispose() {
      clearTimeout(renewalTimer);
      await ws?.dispose();
      ws = undefined;
    },
  };
}
