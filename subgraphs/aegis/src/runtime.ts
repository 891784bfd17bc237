import type { Identity, Orm, SubgraphContext } from '@azora/kit';
import type { AegisConfig } from './config';
import type { AegisLoaders } from './loaders';
import type { SigningKeys } from './signing-keys';

/** Process-wide Aegis state, made once at start. */
export interface AegisRuntime {
  orm: Orm;
  config: AegisConfig;
  keys: SigningKeys;
  verifyAssertion(token: string): Promise<Identity>;
}

export type AegisContext = SubgraphContext<AegisLoaders> & {
  aegis: AegisRuntime;
  /**
   * The user this request has just signed in (signUp, signIn, refreshSession): the caller's own token arrives only
   * with the next request, yet the payload may show them their own private fields.
   */
  signedIn: { userId?: string };
};
