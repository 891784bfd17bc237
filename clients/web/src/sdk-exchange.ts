import { AzoraError, type AzoraClient } from '@azora/sdk';
import {
  makeErrorResult,
  makeOperation,
  makeResult,
  type Exchange,
  type Operation,
  type OperationResult,
} from '@urql/core';
import { filter, make, merge, mergeMap, pipe, share, takeUntil, type Source } from 'wonka';

/**
 * The urql exchange that hands every operation to the SDK: the SDK is the app's only transport, so tokens, their
 * refresh, the trusted-document text and the graphql-ws connection are handled in one place, the same for the web app
 * as for any other client. urql contributes the React bindings, request de-duplication and re-execution.
 *
 * When the live connection comes back after a loss, every query on screen is fetched again: a subscription without a
 * cursor cannot replay what happened in between.
 *
 * Whether a subscription is live rides along on each of its results, as `extensions.live` (read it with `isLive`): true
 * once the SDK reports the connection accepted, false before that and while a lost connection is re-established. urql's
 * own `fetching` cannot tell: it is true from the first render, before any socket is open.
 */
export function sdkExchange(sdk: AzoraClient): Exchange {
  return ({ client, forward }) =>
    (operations$) => {
      const shared$ = share(operations$);
      const activeQueries = new Map<number, Operation>();
      const refetchActiveQueries = () => {
        for (const query of activeQueries.values()) {
          client.reexecuteOperation(makeOperation('query', query, { ...query.context, requestPolicy: 'network-only' }));
        }
      };
      const results$ = pipe(
        shared$,
        filter((operation) => operation.kind !== 'teardown'),
        mergeMap((operation) => {
          if (operation.kind === 'query') activeQueries.set(operation.key, operation);
          const teardown$ = pipe(
            shared$,
            filter((op) => op.kind === 'teardown' && op.key === operation.key),
          );
          return pipe(run(sdk, operation, refetchActiveQueries), takeUntil(teardown$));
        }),
      );
      const teardowns$ = pipe(
        shared$,
        filter((operation) => {
          if (operation.kind === 'teardown') activeQueries.delete(operation.key);
          return operation.kind === 'teardown';
        }),
        forward,
      );
      return merge([results$, teardowns$]);
    };
}

/** Whether a subscription's latest urql result says it is live (see `sdkExchange`). */
export function isLive(result: { extensions?: Record<string, unknown> }): boolean {
  return result.extensions?.live === true;
}

/** An SDK failure as urql's result: GraphQL errors keep their codes (INSUFFICIENT_FUNDS, BAD_USER_INPUT, …). */
function failed(operation: Operation, error: unknown): OperationResult {
  if (error instanceof AzoraError)
    return makeResult(operation, { data: error.data ?? null, errors: [...error.errors] });
  return makeErrorResult(operation, error instanceof Error ? error : new Error(String(error)));
}

function run(sdk: AzoraClient, operation: Operation, reconnected: () => void): Source<OperationResult> {
  return make<OperationResult>((observer) => {
    if (operation.kind === 'subscription') {
      let live = false;
      // urql keeps the last data when a result brings none, so a change of the connection alone is a result too.
      const result = (data?: Record<string, unknown>) => makeResult(operation, { data, extensions: { live } });
      return sdk.subscribe(operation.query, operation.variables, {
        next: (data) => observer.next(result(data)),
        error: (error) => {
          observer.next(failed(operation, error));
          observer.complete();
        },
        complete: () => observer.complete(),
        connected: () => {
          live = true;
          observer.next(result());
        },
        disconnected: () => {
          live = false;
          observer.next(result());
        },
        reconnected,
      });
    }
    const controller = new AbortController();
    sdk
      .execute(operation.query, operation.variables, { signal: controller.signal })
      .then(({ data, errors }) => {
        observer.next(makeResult(operation, { data, errors: errors ? [...errors] : undefined }));
        observer.complete();
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        observer.next(failed(operation, error));
        observer.complete();
      });
    return () => controller.abort();
  });
}
