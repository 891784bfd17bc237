/**
 * @azora/sdk: a typed client for the Azora router. No React and no browser APIs beyond fetch and WebSocket, so a web
 * app, a React Native app, a Node service or a CLI can use it.
 */
export { createAzoraClient, tokenExpiry, webSocketUrlFor } from './client';
export type {
  AzoraClient,
  AzoraClientOptions,
  OperationArgs,
  OperationResult,
  RequestOptions,
  SubscribeOptions,
  SubscriptionObserver,
} from './client';
export { AzoraError, ClientErrorCode } from './errors';
export { createTokenSession, memorySessionStore } from './session';
export type { SessionStore, StoredSession, TokenSession, TokenSessionOptions } from './session';
export { documentText, operationOf, persistedDocumentId, persistedDocuments } from './documents';
export type { TypedDocumentNode, ResultOf, VariablesOf } from '@graphql-typed-document-node/core';
// Every generated document (`WalletDocument`, `TransferDocument`, …) and type (`WalletQuery`, `TransferInput`, …).
export * from './generated/graphql';
