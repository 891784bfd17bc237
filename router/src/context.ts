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
  subscriptionEvent?: boolean;
}
