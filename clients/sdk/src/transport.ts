import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';
import { isUnauthenticated, type Credentials } from './credentials';
import { documentText, operationOf } from './documents';
import { AzoraError } from './errors';
import type { OperationArgs, OperationResult, RequestOptions } from './types';

export interface TransportOptions {
  url: string;
  fetch?: typeof fetch;
  credentials: Credentials;
  /** Told every token a request is sent with, so the live connection can be re-authenticated with it. */
  tokenUsed(token: string | null): void;
}

export interface Transport {
  execute<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables | undefined,
    options?: RequestOptions,
  ): Promise<OperationResult<TData>>;
  run<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    args: OperationArgs<TVariables>,
  ): Promise<TData>;
}

/** Queries and mutations over HTTP: one POST each, with one token refresh when the router refuses the credential. */
export function createTransport({ url, fetch: customFetch, credentials, tokenUsed }: TransportOptions): Transport {
  // Looked up per call, and never called as a method of `options` (browsers refuse a fetch bound to another object).
  const fetchImpl: typeof fetch = customFetch ?? ((...args) => fetch(...args));

  async function post<TData>(
    body: string,
    token: string | null,
    signal: AbortSignal | undefined,
  ): Promise<OperationResult<TData>> {
    const authorization = credentials.authorizationFor(token);
    let response: Response;
    try {
      response = await fetchImpl(url, {
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
    const token = await credentials.current();
    tokenUsed(token);
    const result = await post<TData>(body, token, requestOptions.signal);
    // Only a refusal with no data is retried: the router refuses before any field runs (authentication, then the
    // rule tree over the whole operation), so nothing happened and a mutation cannot run twice.
    if (credentials.refresh && result.data === null && isUnauthenticated(result.errors)) {
      const fresh = await credentials.refresh(token);
      tokenUsed(fresh);
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

  return { execute, run };
}
