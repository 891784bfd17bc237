import { print, type DocumentNode } from 'graphql';
import manifest from './generated/persisted-documents.json';

/** The persisted-document manifest codegen writes: `sha256:<hex>` of the exact text → that text. */
export const persistedDocuments: Readonly<Record<string, string>> = manifest;

export type OperationType = 'query' | 'mutation' | 'subscription';

interface GeneratedDocument extends DocumentNode {
  /** Codegen's client preset embeds the manifest id in every operation document it generates. */
  __meta__?: { hash?: string };
}

/** The document's id in the manifest, or undefined for a document that is not generated (e.g. written in a test). */
export function persistedDocumentId(document: DocumentNode): string | undefined {
  const hash = (document as GeneratedDocument).__meta__?.hash;
  return hash !== undefined && hash in persistedDocuments ? hash : undefined;
}

const texts = new WeakMap<DocumentNode, string>();

/**
 * The text to send for a document. For a generated document it is the manifest's text, byte for byte: a router that
 * accepts trusted documents only (AZORA_TRUSTED_DOCUMENTS=enforce) checks the sha256 of exactly that text, and the
 * manifest's normalised printing differs from graphql's `print`.
 */
export function documentText(document: DocumentNode): string {
  let text = texts.get(document);
  if (text === undefined) {
    const id = persistedDocumentId(document);
    text = id !== undefined ? persistedDocuments[id]! : print(document);
    texts.set(document, text);
  }
  return text;
}

/** The type and name of the document's one operation. */
export function operationOf(document: DocumentNode): { type: OperationType; name: string | undefined } {
  const operations = document.definitions.filter((d) => d.kind === 'OperationDefinition');
  const operation = operations[0];
  if (operations.length !== 1 || !operation)
    throw new Error(`A document sent by the SDK has exactly one operation; this one has ${operations.length}`);
  return { type: operation.operation as OperationType, name: operation.name?.value };
}
