import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { UNAUTHENTICATED } from './credentials';
import { documentText, operationOf } from './documents';
import { AzoraError } from './errors';
import { AUTH_CLOSE_CODES, isCloseEvent, type LiveConnection, type LiveMember } from './live-connection';
import type { SubscribeOptions, SubscriptionObserver } from './types';

/**
 * One subscription's life on the live connection: started, told `connected`/`disconnected`/`reconnected` as the
 * connection comes and goes, resumed from its cursor, retried once with a fresh token when its credentials are refused,
 * and ended by the server, by an error, or by the returned stop function.
 */
export function startSubscription<TData, TVariables>(
  live: LiveConnection,
  canRefresh: boolean,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
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
  const member: LiveMember = {
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
    live.leave(member);
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
    if (refused[what] || !canRefresh) return fail(rejected);
    refused[what] = true;
    attempt++;
    dispose();
    live.credentialsRejected();
    // Not from inside graphql-ws's handling of the refusal: dropping the socket there loses the new subscription.
    setTimeout(() => {
      if (stopped) return;
      if (what === 'subscription') live.terminate();
      start();
    });
  };
  const start = () => {
    const mine = ++attempt;
    const ours = () => !stopped && mine === attempt;
    dispose = live.client().subscribe<TData>(payload, {
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
    if (live.isOpen) void Promise.resolve().then(() => ours() && member.setOpen(true));
  };
  live.join(member);
  start();
  return () => {
    if (!stopped) finish();
  };
}
