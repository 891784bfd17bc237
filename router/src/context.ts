import type { Identity, Logger } from '@azora/kit';

/** Per-request state at the router. */
export interface RouterContext {
  requestId: string;
  log: Logger;
  /** The caller, verified from their credentials (or anonymous). */
  identity: Identity;
  /** The identity signed for subgraphs; signed once per request, on first use. */
  assertion(): Promise<string>;
}
