import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DomainError } from '@azora/kit';
import type { TrustedDocumentsMode } from '../settings';

/** The GraphQL-over-HTTP request parameters the router looks at before Apollo Server does. */
export interface GraphQLParams {
  query?: unknown;
  documentId?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/** A JSON object (not an array, not null). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const HASH = /^(?:sha256:)?([0-9a-f]{64})$/;

/**
 * Reads a trusted-documents manifest: a JSON object from document hash (`sha256:<hex>` or `<hex>`, the hash of the
 * document text exactly as stored) to document text. This is the map graphql-codegen's client preset writes with
 * `persistedDocuments`. Every entry is checked against its hash, so a hand-edited manifest fails at start.
 */
export function loadTrustedDocuments(file: string): Map<string, string> {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isObject(parsed)) {
    throw new Error(`${file}: a trusted-documents manifest is a JSON object of hash -> document`);
  }
  const documents = new Map<string, string>();
  const problems: string[] = [];
  for (const [key, document] of Object.entries(parsed)) {
    const hash = HASH.exec(key)?.[1];
    if (!hash || typeof document !== 'string') problems.push(`${key}: not a sha256 hash of a document string`);
    else if (sha256(document) !== hash) problems.push(`${key}: does not match the sha256 of its document`);
    else documents.set(hash, document);
  }
  if (problems.length > 0)
    throw new Error(`${file} is not a valid trusted-documents manifest:\n  - ${problems.join('\n  - ')}`);
  return documents;
}

const refuse = (
  code: 'BAD_REQUEST' | 'PERSISTED_QUERY_NOT_FOUND' | 'PERSISTED_QUERY_NOT_SUPPORTED' | 'DOCUMENT_NOT_TRUSTED',
  message: string,
) => new DomainError(code, message, { http: { status: 400 } });

/**
 * Turns `{"documentId": "sha256:..."}` and APQ hashes found in the manifest into `{query}` for Apollo Server, and in
 * `enforce` mode refuses every document that is not in the manifest (APQ registration included). In `allow` and `off`
 * modes, a query text and an APQ hash outside the manifest are left to Apollo Server (its APQ cache).
 */
export function trustedDocumentsResolver(mode: TrustedDocumentsMode, documents: Map<string, string>) {
  // Every entry matches its hash (loadTrustedDocuments checked), so a text is trusted exactly when it is one of them:
  // a set lookup instead of hashing every request's text.
  const texts = new Set(documents.values());
  return (params: GraphQLParams): GraphQLParams => {
    const { documentId, ...rest } = params;
    if (documentId !== undefined) {
      if (mode === 'off') throw refuse('PERSISTED_QUERY_NOT_SUPPORTED', 'This router has no trusted documents');
      const hash = typeof documentId === 'string' ? HASH.exec(documentId)?.[1] : undefined;
      if (!hash) throw refuse('BAD_REQUEST', 'documentId must be "sha256:" followed by 64 hex digits');
      const query = documents.get(hash);
      if (query === undefined) throw refuse('PERSISTED_QUERY_NOT_FOUND', `No trusted document ${documentId}`);
      if (rest.query !== undefined && rest.query !== query)
        throw refuse('BAD_REQUEST', 'query does not match documentId');
      return { ...rest, query };
    }
    const extensions = isObject(rest.extensions) ? rest.extensions : undefined;
    const apqHash = isObject(extensions?.persistedQuery) ? extensions.persistedQuery.sha256Hash : undefined;
    if (typeof apqHash === 'string' && rest.query === undefined) {
      const query = documents.get(apqHash);
      if (query !== undefined) return { ...rest, query, extensions: { ...extensions, persistedQuery: undefined } };
      if (mode === 'enforce') throw refuse('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound');
      return params;
    }
    if (mode === 'enforce') {
      if (typeof rest.query !== 'string' || !texts.has(rest.query)) {
        throw refuse(
          'DOCUMENT_NOT_TRUSTED',
          'Only trusted documents are accepted; send a documentId from the manifest',
        );
      }
      // The text is trusted; an APQ extension alongside it must not reach Apollo, whose APQ is off in this mode.
      if (apqHash !== undefined) return { ...rest, extensions: { ...extensions, persistedQuery: undefined } };
    }
    return params;
  };
}
export type TrustedDocumentsResolver = ReturnType<typeof trustedDocumentsResolver>;
