import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { FetcherResponse } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { ErrorCode, IDENTITY_HEADER, isExpectedError, REQUEST_ID_HEADER } from '@azora/kit';
import type { RouterContext } from './context';
import { isObject } from './limits/trusted-documents';
import type { RouterMetrics } from './metrics';
import { injectTraceContext } from './telemetry';
import { SubgraphFetchError, type SubgraphCall, type SubgraphClient } from './resilience/subgraph-client';

type SubgraphResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

const isMutation = (query: string | undefined) => query !== undefined && /^\s*mutation\b/.test(query);

/**
 * A subgraph's `Cache-Control` as the cache hint Apollo Server folds into the response's, read as the gateway reads it
 * (no header or no max-age: not cacheable), except that `private` wins over `public` when a subgraph sends both.
 */
function cacheHintOf(header: string | null): { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } {
  const directives = new Map<string, string | true>();
  for (const part of (header ?? '').trim().split(/\s*,\s*/)) {
    const [name, value] = part.split(/\s*=\s*/, 2);
    if (name) directives.set(name.toLowerCase(), value === undefined ? true : value.replace(/^"|"$/g, ''));
  }
  const maxAge = directives.get('max-age');
  return {
    maxAge: typeof maxAge === 'string' && /^\d+$/.test(maxAge) ? Number(maxAge) : 0,
    ...(directives.has('private')
      ? { scope: 'PRIVATE' as const }
      : directives.has('public')
        ? { scope: 'PUBLIC' as const }
        : {}),
  };
}

/**
 * How the router talks to one subgraph: through its SubgraphClient (pooled keep-alive connections, replicas, timeout
 * and request deadline, retries for queries, circuit breaker, in-flight deduplication), with the caller's request id,
 * identity and trace context forwarded, and fetch timing recorded.
 *
 * The gateway's own RemoteGraphQLDataSource would wrap every fetch in node-fetch Headers and Request objects, and has
 * no way to hand the call's kind and deadline to its fetcher; this speaks to the client directly, keeping what the
 * gateway relies on: the JSON body, the answer's `http` response, and the subgraph's cache hint.
 */
export class SubgraphDataSource implements GraphQLDataSource<RouterContext> {
  constructor(
    readonly name: string,
    private readonly client: SubgraphClient,
    private readonly metrics: RouterMetrics,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<SubgraphResponse> {
    const stop = this.metrics.subgraphFetchDuration.startTimer({ subgraph: this.name });
    const context = options.context as Partial<RouterContext> | undefined;
    try {
      const response = await this.send(options, context);
      stop({ outcome: 'ok' });
      return response;
    } catch (error) {
      stop({ outcome: 'error' });
      const clientError = this.asClientError(error);
      // Worth a warning: a subgraph that could not answer. Not: a client's mistake the subgraph refused (4xx), or a
      // request an open circuit refused (logged once, when it opened).
      const unavailable =
        clientError.extensions.code === ErrorCode.DOWNSTREAM_UNAVAILABLE &&
        clientError.extensions.reason !== 'circuit_open';
      context?.log?.[unavailable ? 'warn' : 'debug']({ err: error, subgraph: this.name }, 'subgraph fetch failed');
      throw clientError;
    }
  }

  private async send(
    options: GraphQLDataSourceProcessOptions<RouterContext>,
    context: Partial<RouterContext> | undefined,
  ): Promise<SubgraphResponse> {
    const { http, ...request } = options.request;
    if (!request.query) throw new Error('Missing query');
    // What the gateway itself asks of the subgraph (`apollo-federation-include-trace` when it reports traces).
    const headers: Record<string, string> = {
      ...(http?.headers ? Object.fromEntries(http.headers) : {}),
      'content-type': 'application/json',
    };
    if (context?.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    // Runs inside the gateway.fetch span, so the subgraph's spans become its children.
    injectTraceContext({ set: (name, value) => (headers[name] = value) });
    // Subgraphs trust only this: who the caller is, as the router verified it, signed by the router.
    if (context?.assertion) headers[IDENTITY_HEADER] = await context.assertion();
    const call: SubgraphCall = {
      idempotent: !isMutation(request.query),
      // The person behind the credential (a session and an API key of theirs alike), else the kind of caller.
      caller: context?.identity?.userId ? `user:${context.identity.userId}` : (context?.identity?.kind ?? 'anonymous'),
      deadline: context?.deadline ?? Number.POSITIVE_INFINITY,
    };

    const response = await this.client.fetch({ method: 'POST', headers, body: JSON.stringify(request) }, call);
    if (!response.ok) throw await this.errorFromResponse(response);
    const body: unknown = await this.bodyOf(response);
    if (!isObject(body)) throw new Error(`Expected JSON response body, but received: ${String(body)}`);
    // A client's operation (not a health check or schema load): the subgraph's cache hint narrows the response's.
    if ('incomingRequestContext' in options) {
      const policy = options.incomingRequestContext.overallCachePolicy;
      if (policy && 'restrict' in policy) policy.restrict(cacheHintOf(response.headers.get('cache-control')));
    }
    return { ...body, http: response } as SubgraphResponse;
  }

  private bodyOf(response: FetcherResponse): Promise<unknown> {
    const type = response.headers.get('content-type') ?? '';
    return type.startsWith('application/json') || type.startsWith('application/graphql-response+json')
      ? response.json()
      : response.text();
  }

  /**
   * A subgraph answers some request errors with a non-2xx status and a GraphQL body (a variable its scalar refused is
   * a 400 BAD_USER_INPUT): keep that answer and its code. Otherwise, as the gateway does: `<status>: <text>`, with
   * UNAUTHENTICATED for a 401 and FORBIDDEN for a 403, and the response kept for the router's log.
   */
  private async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    const body = await this.bodyOf(response);
    const first =
      isObject(body) && Array.isArray(body.errors)
        ? (body.errors[0] as { message?: unknown; extensions?: { code?: unknown } })
        : undefined;
    if (
      typeof first?.message === 'string' &&
      isExpectedError({ message: first.message, extensions: first.extensions })
    ) {
      return new GraphQLError(first.message, { extensions: { code: first.extensions!.code } });
    }
    const code =
      response.status === 401 ? ErrorCode.UNAUTHENTICATED : response.status === 403 ? ErrorCode.FORBIDDEN : undefined;
    return new GraphQLError(`${response.status}: ${response.statusText}`, {
      extensions: {
        response: { url: response.url, status: response.status, statusText: response.statusText, body },
        ...(code ? { code } : {}),
      },
    });
  }

  /**
   * A failed fetch (refused, timed out, circuit open, 5xx, non-GraphQL HTTP error) becomes DOWNSTREAM_UNAVAILABLE
   * naming the subgraph and why; internals such as the subgraph's response body stay in the router's log.
   */
  private asClientError(error: unknown): GraphQLError {
    const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
    if (error instanceof GraphQLError && isExpectedError({ message: error.message, extensions: { code } })) {
      return new GraphQLError(error.message, { extensions: { code, serviceName: this.name } });
    }
    const reason = error instanceof SubgraphFetchError ? error.reason : 'bad_response';
    return new GraphQLError(`Subgraph "${this.name}" is unavailable`, {
      originalError: error instanceof Error ? error : undefined,
      extensions: { code: ErrorCode.DOWNSTREAM_UNAVAILABLE, serviceName: this.name, reason },
    });
  }
}
