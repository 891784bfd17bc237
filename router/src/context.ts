import type { Logger } from '@azora/kit';

/** Per-request state at the router. */
export interface RouterContext {
  requestId: string;
  log: Logger;
}
