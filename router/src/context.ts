import type { DocumentNode } from 'graphql';
import type { Identity, Logger } from '@azora/kit';

/** Per-request state at the router. */
export interface RouterContext {
  requestId: string;
  log: Logger;
  /** The caller, verified from their credentials (or anonymous). */
  identity: Identity;
  /** The identity signed for subgraphs (signed on first use, reused for a few seconds: auth/assertion-cache.ts). */
  assertion(): Promise<string>;
  /** The client's address (`req.ip`, so behind a proxy it honours AZORA_TRUST_PROXY). */
  clientIp: string;
  /** Epoch milliseconds after which no subgraph fetch of this request is started or kept waiting. */
  deadline: number;
  /** Set on the read that delivers one subscription event: not a client request, so not charged to the rate limit. */
  subscriptionEvent?: SubscriptionEventRead;
}

/**
 * How the read delivering one subscription event is judged. The client subscribed to the subscription field, not to
 * the `Query` lookup the router reads the event through, so the subscription field's own rule decides (evaluated for
 * each delivery, with the caller's identity as it is now) and the lookup field itself is not judged; every field of
 * the client's selection below it still is.
 */
export interface SubscriptionEventRead {
  /** The subscription field alone with the client's arguments (derived-operations.ts `fieldQuery`). */
  field: { document: DocumentNode; variables?: Record<string, unknown> | null };
  /** The `Query` field the event is read through (`ledgerEntry` for `accountActivity`). */
  lookupField: string;
}
