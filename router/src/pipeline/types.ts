import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
import type { RouterContext } from '../context';

/** The transport an operation came over; metrics tell them apart, refusals do not. */
export type Transport = 'http' | 'websocket';

/** An operation as a transport hands it to the pipeline. */
export interface OperationRequest {
  schema: GraphQLSchema;
  /** Text nobody has parsed yet (graphql-ws): the pipeline checks its size, parses and validates it first. */
  source?: string;
  /** A document Apollo Server has already parsed and validated with the same rules (HTTP). */
  document?: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** What the stages know of the operation so far; each stage may add to it. */
export interface OperationState {
  schema: GraphQLSchema;
  source?: string;
  /** Set once parsed (by Apollo Server or by the parse stage). */
  document?: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  /** The static cost, set by the limits stage, charged by the rate limit. */
  cost: number;
  /** Response headers to send whatever the verdict (`RateLimit-*`). */
  headers: [string, string][];
}

/**
 * One concern of the pipeline. It returns refusals (or throws a GraphQLError) to stop the operation, or nothing to let
 * it go on to the next stage.
 */
export type Stage = (
  operation: OperationState,
  context: RouterContext,
  transport: Transport,
) => Promise<readonly GraphQLError[] | void> | readonly GraphQLError[] | void;

/** The pipeline's answer: the document to run, or why not; headers in both cases. */
export type Verdict =
  | { document: DocumentNode; errors?: undefined; headers: [string, string][] }
  | { document?: undefined; errors: readonly GraphQLError[]; headers: [string, string][] };
