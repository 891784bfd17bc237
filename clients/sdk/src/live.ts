import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { LedgerEntryFieldsFragment } from './generated/graphql';

/** The shape codegen will give `AccountActivityDocument` (clients/sdk/operations/subscriptions.graphql). */
export type AccountActivityDocumentType = TypedDocumentNode<{ accountActivity: LedgerEntryFieldsFragment }, { accountId: string | number }>;

/**
 * The account-activity subscription, or null while the router cannot serve it.
 *
 * TODO(subscriptions): null until the router serves graphql-ws and api-schema.graphql has
 * `Subscription.accountActivity` (being built on main). Then: delete the `!clients/sdk/operations/subscriptions.graphql`
 * line in codegen.yml, run `npm run codegen`, and replace `null` with `AccountActivityDocument` imported from
 * './generated/graphql'. The wallet's live-activity area and the browser test's live step switch on with it.
 */
export const accountActivityDocument: AccountActivityDocumentType | null = null;
