import { badInput, hasRole, notFound, personId } from '@azora/kit';
import { ApiKey } from './entities/api-key.entity';
import { User } from './entities/user.entity';
import type { Context } from './schema';
import { digestsEqual, hmac, newSecret } from './secrets';

const SCOPE = /^[a-z][a-z0-9:._-]{0,63}$/;
const PREFIX_LENGTH = 12;
/** lastUsedAt is refreshed at most this often, so a busy device does not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function parseScopes(scopes: string[], field = 'scopes'): string[] {
  if (scopes.length > 32) throw badInput('At most 32 scopes', field);
  for (const scope of scopes) {
    if (!SCOPE.test(scope))
      throw badInput(`"${scope}" is not a valid scope (lower-case letters, digits and :._-)`, field);
  }
  return [...new Set(scopes)];
}

/** API keys for devices and integrations: shown once, stored as an HMAC digest, scoped, expiring, revocable. */
export class ApiKeyService {
  constructor(private readonly ctx: Context) {}

  /**
   * A new key of the caller's. Only a person signed in with a password may call this (a key cannot mint keys): that
   * is the field's rule, enforced by the router.
   */
  async create(input: { name: string; scopes: string[]; expiresAt?: Date | null }) {
    const userId = personId(this.ctx.identity, 'Only a signed-in person can create API keys');
    const name = input.name.trim();
    if (name.length < 1 || name.length > 120) throw badInput('A key name has 1 to 120 characters', 'name');
    if (input.expiresAt && input.expiresAt <= new Date())
      throw badInput('expiresAt must be in the future', 'expiresAt');
    const secret = newSecret('azk');
    const apiKey = this.ctx.em.create(ApiKey, {
      userId,
      name,
      prefix: secret.slice(0, PREFIX_LENGTH),
      digest: hmac(this.ctx.config.AEGIS_SECRET_PEPPER, secret),
      scopes: parseScopes(input.scopes),
      expiresAt: input.expiresAt ?? null,
    });
    await this.ctx.em.flush();
    return { apiKey, secret };
  }

  /** The caller's own keys, oldest first. */
  list() {
    return this.ctx.em.find(ApiKey, { userId: this.ctx.identity.userId ?? '' }, { orderBy: { id: 'asc' } });
  }

  /** Revokes one of the caller's keys; an admin may revoke anyone's. Someone else's key is as good as missing. */
  async revoke(id: string) {
    const caller = this.ctx.identity;
    const apiKey = await this.ctx.em.findOne(ApiKey, { id });
    if (!apiKey || (apiKey.userId !== caller.userId && !hasRole(caller, 'admin'))) throw notFound('API key', id);
    if (!apiKey.revokedAt) {
      apiKey.revokedAt = new Date();
      await this.ctx.em.flush();
    }
    return apiKey;
  }

  /**
   * The identity behind a secret, for the router: found by its public prefix, then compared digest to digest in
   * constant time. Null when unknown, revoked or expired.
   */
  async resolve(
    secret: string,
  ): Promise<{ userId: string; roles: string[]; scopes: string[]; expiresAt: Date | null } | null> {
    if (!secret.startsWith('azk_') || secret.length > 100) return null;
    const { em } = this.ctx;
    const digest = hmac(this.ctx.config.AEGIS_SECRET_PEPPER, secret);
    const candidates = await em.find(ApiKey, { prefix: secret.slice(0, PREFIX_LENGTH) });
    const apiKey = candidates.find((c) => digestsEqual(c.digest, digest));
    const now = new Date();
    if (!apiKey || apiKey.revokedAt || (apiKey.expiresAt && apiKey.expiresAt <= now)) return null;
    const owner = await em.findOne(User, { id: apiKey.userId });
    if (!owner) return null;
    if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await em.nativeUpdate(ApiKey, { id: apiKey.id }, { lastUsedAt: now });
    }
    return { userId: owner.id, roles: owner.roles, scopes: apiKey.scopes, expiresAt: apiKey.expiresAt ?? null };
  }
}
