import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '@azora/kit';
import type { RouterSettings } from '../settings';
import type { OperationGuard } from './operation-limits';
import { isObject, type GraphQLParams, type TrustedDocumentsResolver } from './trusted-documents';

/** Answers in the GraphQL-over-HTTP error shape, the way Apollo Server answers its own request errors. */
function sendError(
  res: Response,
  status: number,
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): void {
  res
    .status(status)
    .type('application/json')
    .send(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }));
}

/** `application/json` with optional parameters (`; charset=utf-8`). */
const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/** Body parsing failures from express.json, answered as the client errors they are, never as 500. */
const bodyErrors =
  (refused: (reason: string) => void): ErrorRequestHandler =>
  (error, _req, res, next) => {
    switch ((error as { type?: string }).type) {
      case 'entity.too.large':
        refused('payload_too_large');
        return sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'Request body too large');
      case 'entity.parse.failed':
        refused('malformed_json');
        return sendError(res, 400, 'BAD_REQUEST', 'Request body is not valid JSON');
      case 'charset.unsupported':
      case 'encoding.unsupported':
        refused('unsupported_media_type');
        return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', (error as Error).message);
      default:
        return next(error);
    }
  };

export interface HttpGuardOptions {
  http: RouterSettings['http'];
  guard: OperationGuard;
  resolveDocument: TrustedDocumentsResolver;
  /** Told the reason of every refusal (for the router's metrics): a limit name or the lower-cased error code. */
  onRefused: (reason: string) => void;
}

/**
 * The checks a GraphQL HTTP request passes before Apollo Server sees it: JSON only (415), a body size limit (413),
 * malformed JSON (400), the batch size, trusted documents (documentId, APQ from the manifest, enforce mode), and the
 * document size and token limits, which must run before anything parses the document.
 * Apollo Server then applies CSRF prevention, refuses mutations over GET and runs the remaining limits.
 */
export function graphqlHttpGuards({
  http,
  guard,
  resolveDocument,
  onRefused,
}: HttpGuardOptions): (RequestHandler | ErrorRequestHandler)[] {
  const check = (params: GraphQLParams): GraphQLParams => {
    const resolved = resolveDocument(params);
    if (typeof resolved.query === 'string') guard.checkSource(resolved.query);
    return resolved;
  };
  const rejectUnlessJson: RequestHandler = (req, res, next) => {
    if (req.method !== 'POST') return next();
    const type = req.headers['content-type'];
    if (!type || !JSON_CONTENT_TYPE.test(type)) {
      onRefused('unsupported_media_type');
      return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'POST requests must have content-type application/json');
    }
    next();
  };
  const checkOperations: RequestHandler = (req, res, next) => {
    try {
      if (req.method === 'POST') {
        if (Array.isArray(req.body)) {
          if (http.batching && req.body.length > http.batchMaxOperations) {
            onRefused('batch_too_large');
            return sendError(res, 400, 'BAD_REQUEST', `A batch may hold at most ${http.batchMaxOperations} operations`);
          }
          // With batching off Apollo Server refuses the array itself.
          if (http.batching) req.body = req.body.map((params: unknown) => (isObject(params) ? check(params) : params));
        } else if (isObject(req.body)) {
          req.body = check(req.body);
        }
      } else if (req.method === 'GET') {
        req.body ??= {};
        rewriteQueryString(req, check);
      }
      next();
    } catch (error) {
      if (!(error instanceof GraphQLError)) return next(error);
      const { http: head, ...extensions } = error.extensions as {
        http?: { status?: number };
        code: ErrorCode;
        limit?: string;
      };
      onRefused(extensions.limit ?? extensions.code.toLowerCase());
      sendError(res, head?.status ?? 400, extensions.code, error.message, extensions);
    }
  };
  return [rejectUnlessJson, express.json({ limit: http.maxBodyBytes }), bodyErrors(onRefused), checkOperations];
}

/** GET carries the parameters in the query string, which is what Apollo Server reads; rewrite it when resolved. */
function rewriteQueryString(req: express.Request, check: (params: GraphQLParams) => GraphQLParams): void {
  const url = new URL(req.url, 'http://router');
  const search = url.searchParams;
  const parseJson = (name: string) => {
    const raw = search.get(name);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new GraphQLError(`${name} is not valid JSON`, {
        extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
      });
    }
  };
  const params: GraphQLParams = {
    query: search.get('query') ?? undefined,
    documentId: search.get('documentId') ?? undefined,
    extensions: parseJson('extensions'),
  };
  const resolved = check(params);
  if (resolved === params) return;
  search.delete('documentId');
  if (typeof resolved.query === 'string') search.set('query', resolved.query);
  if (resolved.extensions === undefined) search.delete('extensions');
  else search.set('extensions', JSON.stringify(resolved.extensions));
  req.url = `${url.pathname}?${search.toString()}`;
}
