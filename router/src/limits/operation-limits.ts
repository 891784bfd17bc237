import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  getNamedType,
  GraphQLError,
  getNullableType,
  getOperationAST,
  isLeafType,
  isListType,
  Kind,
  Lexer,
  Source,
  TokenKind,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { DomainError } from '@azora/kit';
import type { RouterSettings } from '../settings';

type Limits = RouterSettings['limits'];
export type LimitName = 'document_size' | 'tokens' | 'depth' | 'aliases' | 'directives' | 'cost' | 'page_size';

/** An operation over one of the router's limits. HTTP 400; the code survives Apollo's validation wrapper. */
export class OperationLimitError extends DomainError {
  constructor(limit: LimitName, message: string) {
    super(limit === 'page_size' ? 'BAD_USER_INPUT' : 'OPERATION_LIMIT_EXCEEDED', message, {
      limit,
      http: { status: 400 },
    });
  }
}

/**
 * The checks one GraphQL document goes through at the router, in the order a server meets it. HTTP and the WebSocket
 * server call the same functions:
 * 1. `checkSource(text)` before parsing (size, tokens);
 * 2. `validationRules` next to graphql's `specifiedRules` (depth with fragments expanded, aliases, directives);
 * 3. `checkOperation(...)` once variables are known (page sizes, static cost); it returns the cost, which is the
 *    price the rate limiter charges.
 */
export interface OperationGuard {
  checkSource(source: string): void;
  validationRules: ValidationRule[];
  checkOperation(args: OperationArgs): number;
}

export interface OperationArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown>;
}

/** Counts tokens only when the text could hold more than the limit: every token is at least one character long. */
function exceedsTokens(source: string, max: number): boolean {
  if (source.length <= max) return false;
  const lexer = new Lexer(new Source(source));
  let count = 0;
  for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
    if (++count > max) return true;
  }
  return false;
}

/** Armor rules report through ValidationContext; we report our own error class so the client sees our code. */
function armorRejection(limit: LimitName) {
  return {
    propagateOnRejection: false,
    exposeLimits: true,
    onReject: [
      (context: ValidationContext | null, error: Error) =>
        context?.reportError(new OperationLimitError(limit, error.message.replace(/^Syntax Error: /, ''))),
    ],
  };
}

/**
 * Static cost: a leaf costs 0, any other field 1 plus its children; a field with `first` multiplies its children by
 * `first` (the schema's default when the argument is omitted); a list without `first` multiplies by the assumed
 * default list size, except the `edges`/`nodes` of a connection, whose size `first` already counted.
 */
function costEstimator(limits: Limits, oversized: string[]): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    // Introspection is free: it is off in production, and Sandbox's schema query must work in development.
    if (field.name.startsWith('__')) return 0;
    const own = isLeafType(getNamedType(field.type)) ? 0 : 1;
    const first = args.first;
    if (typeof first === 'number') {
      if (getNamedType(field.type).name.endsWith('Connection') && first > limits.maxPageSize) {
        oversized.push(`${type.name}.${field.name}(first: ${first})`);
      }
      return own + Math.max(first, 0) * childComplexity;
    }
    const isList = isListType(getNullableType(field.type));
    const size = isList && !type.name.endsWith('Connection') ? limits.defaultListSize : 1;
    return own + size * childComplexity;
  };
}

/**
 * Whether variables can change the document's cost: only through `first` (the estimator's one argument) or through
 * a directive (`@skip(if: $v)`, `@include(if: $v)` decide whether a subtree counts). Any other variable — an id, an
 * input object — leaves the cost as it is.
 */
function costDependsOnVariables(document: DocumentNode): boolean {
  let depends = false;
  visit(document, {
    Argument(node) {
      if (node.name.value === 'first' && node.value.kind !== Kind.INT) depends = true;
    },
    Directive(node) {
      if (node.arguments?.some((a) => a.value.kind === Kind.VARIABLE)) depends = true;
    },
  });
  return depends;
}

export function createOperationGuard(limits: Limits): OperationGuard {
  // Apollo Server hands out the same DocumentNode for the same query text (its document store), so an operation whose
  // cost no variable can change is priced once.
  const fixedCosts = new WeakMap<DocumentNode, Map<string, number>>();
  const variableCost = new WeakMap<DocumentNode, boolean>();
  const isFixed = (document: DocumentNode) => {
    let depends = variableCost.get(document);
    if (depends === undefined) variableCost.set(document, (depends = costDependsOnVariables(document)));
    return !depends;
  };
  return {
    checkSource(source) {
      if (Buffer.byteLength(source) > limits.maxDocumentBytes) {
        throw new OperationLimitError('document_size', `Document larger than ${limits.maxDocumentBytes} bytes`);
      }
      if (exceedsTokens(source, limits.maxTokens)) {
        throw new OperationLimitError('tokens', `Document has more than ${limits.maxTokens} tokens`);
      }
    },
    validationRules: [
      // flattenFragments: a fragment spread is not a level of its own; its fields are, wherever it is spread.
      maxDepthRule({ n: limits.maxDepth, flattenFragments: true, ...armorRejection('depth') }),
      maxAliasesRule({ n: limits.maxAliases, ...armorRejection('aliases') }),
      maxDirectivesRule({ n: limits.maxDirectives, ...armorRejection('directives') }),
    ],
    checkOperation({ schema, document, operationName, variables }) {
      const operation = getOperationAST(document, operationName);
      const fixed = operation && (!operation.variableDefinitions?.length || isFixed(document));
      const known = fixed ? fixedCosts.get(document)?.get(operationName ?? '') : undefined;
      if (known !== undefined) return known;
      const oversized: string[] = [];
      let cost: number;
      try {
        cost = getComplexity({
          schema,
          query: document,
          operationName: operationName ?? undefined,
          variables,
          estimators: [costEstimator(limits, oversized)],
        });
      } catch (error) {
        // getComplexity coerces the variables first; a bad variable is the client's mistake, reported as such.
        if (error instanceof GraphQLError) {
          throw new DomainError('BAD_USER_INPUT', error.message, { http: { status: 400 } });
        }
        throw error;
      }
      if (oversized.length > 0) {
        throw new OperationLimitError('page_size', `Page size over ${limits.maxPageSize}: ${oversized.join(', ')}`);
      }
      if (cost > limits.maxCost) {
        throw new OperationLimitError('cost', `Operation cost ${cost} exceeds the limit of ${limits.maxCost}`);
      }
      if (fixed) {
        if (!fixedCosts.has(document)) fixedCosts.set(document, new Map());
        fixedCosts.get(document)!.set(operationName ?? '', cost);
      }
      return cost;
    },
  };
}
