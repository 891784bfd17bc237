import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { ErrorCode, injectTraceContext, REQUEST_ID_HEADER } from '@azora/kit';
import type { RouterContext } from './context';
import type { RouterMetrics } from './metrics';

/**
 * How the router talks to one subgraph: Node's pooled keep-alive fetch with a per-request timeout (the gateway's
 * default has none), the caller's request id and trace context forwarded, and fetch timing recorded.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    readonly name: string,
    url: string,
    private readonly metrics: RouterMetrics,
    timeoutMs: number,
  ) {
    super({
      url,
      fetcher: ((input: string, init?: RequestInit) =>
        fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as unknown as Fetcher,
    });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    if (context?.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
    // Runs inside the gateway.fetch span, so the subgraph's spans become its children.
    if (request.http) injectTraceContext(request.http.headers);
  }

  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>) {
    const stop = this.metrics.subgraphFetchDuration.startTimer({ subgraph: this.name });
    try {
      const response = await super.process(options);
      stop({ outcome: 'ok' });
      return response;
    } catch (error) {
      stop({ outcome: 'error' });
      throw this.asClientError(error);
    }
  }

  /**
   * A failed fetch (refused, timed out, non-GraphQL HTTP error) becomes DOWNSTREAM_UNAVAILABLE naming the subgraph;
   * internals such as the subgraph's response body stay in the router's log.
   */
  private asClientError(error: unknown): GraphQLError {
    const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
    if (code === ErrorCode.UNAUTHENTICATED || code === ErrorCode.FORBIDDEN) {
      return new GraphQLError(error instanceof Error ? error.message : String(error), {
        extensions: { code, serviceName: this.name },
      });
    }
    return new GraphQLError(`Subgraph "${this.name}" is unavailable`, {
      originalError: error instanceof Error ? error : undefined,
      extensions: { code: ErrorCode.DOWNSTREAM_UNAVAILABLE, serviceName: this.name },
    });
  }
}
