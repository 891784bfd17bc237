import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { ErrorCode, IDENTITY_HEADER, injectTraceContext, isExpectedError, REQUEST_ID_HEADER } from '@azora/kit';
import type { RouterContext } from './context';
import type { RouterMetrics } from './metrics';
import { SubgraphFetchError, type SubgraphCall, type SubgraphClient } from './resilience/subgraph-client';

/** The gateway's fetcher signature has no room for the call's kind and deadline; they travel alongside instead. */
const currentCall = new AsyncLocalStorage<SubgraphCall>();

const isMutation = (query: string | undefined) => query !== undefined && /^\s*mutation\b/.test(query);

/**
 * How the router talks to one subgraph: through its SubgraphClient (pooled keep-alive connections, replicas, timeout
 * and request deadline, retries for queries, circuit breaker), with the caller's request id, identity and trace
 * context forwarded, and fetch timing recorded.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    readonly name: string,
    url: string,
    private readonly client: SubgraphClient,
    private readonly metrics: RouterMetrics,
  ) {
    super({
      url,
      fetcher: (_url, init) =>
        client.fetch(init ?? {}, currentCall.getStore() ?? { idempotent: false, deadline: Number.POSITIVE_INFINITY }),
    });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): Promise<void> {
    if (context?.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
    // Runs inside the gateway.fetch span, so the subgraph's spans become its children.
    if (request.http) injectTraceContext(request.http.headers);
    // Subgraphs trust only this: who the caller is, as the router verified it, signed by the router.
    if (context?.assertion) request.http?.headers.set(IDENTITY_HEADER, await context.assertion());
  }

  /**
   * A subgraph answers some request errors with a non-2xx status and a GraphQL body (a variable its scalar refused is
   * a 400 BAD_USER_INPUT): keep that answer and its code instead of the gateway's bare "400: Bad Request".
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    const fallback = await super.errorFromResponse(response);
    const body = (fallback.extensions.response as { body?: unknown } | undefined)?.body as
      | { errors?: { message?: string; extensions?: { code?: unknown } }[] }
      | undefined;
    const first = body?.errors?.[0];
    if (typeof first?.message === 'string' && isExpectedError({ message: first.message, extensions: first.extensions })) {
      return new GraphQLError(first.message, { extensions: { code: first.extensions!.code } });
    }
    return fallback;
  }

  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>) {
    const stop = this.metrics.subgraphFetchDuration.startTimer({ subgraph: this.name });
    const call: SubgraphCall = {
      idempotent: !isMutation(options.request.query),
      deadline: (options.context as Partial<RouterContext> | undefined)?.deadline ?? Number.POSITIVE_INFINITY,
    };
    try {
      const response = await currentCall.run(call, () => super.process(options));
      stop({ outcome: 'ok' });
      return response;
    } catch (error) {
      stop({ outcome: 'error' });
      const clientError = this.asClientError(error);
      // Worth a warning: a subgraph that could not answer. Not: a client's mistake the subgraph refused (4xx), or a
      // request an open circuit refused (logged once, when it opened).
      const unavailable = clientError.extensions.code === ErrorCode.DOWNSTREAM_UNAVAILABLE && clientError.extensions.reason !== 'circuit_open';
      (options.context as Partial<RouterContext> | undefined)?.log?.[unavailable ? 'warn' : 'debug']({ err: error, subgraph: this.name }, 'subgraph fetch failed');
      throw clientError;
    }
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
