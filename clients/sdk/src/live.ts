import { AccountActivityDocument } from './generated/graphql';

/** The account-activity subscription's document type (clients/sdk/operations/subscriptions.graphql). */
export type AccountActivityDocumentType = typeof AccountActivityDocument;

/** The account-activity subscription: Mint's live ledger entries of one account, over graphql-ws at the router. */
export const accountActivityDocument: AccountActivityDocumentType = AccountActivityDocument;
