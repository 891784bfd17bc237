import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';
import type { Role } from './user.entity';

/** A machine client of the OAuth2 client-credentials grant. Only the HMAC digest of its secret is kept. */
export const OAuthClient = defineEntity({
  name: 'OAuthClient',
  tableName: 'oauth_clients',
  properties: {
    id: idProperty(),
    name: p.string().length(120),
    secretDigest: p.string().length(64),
    roles: p.json<Role[]>(),
    /** The scopes the client may ask for. */
    scopes: p.json<string[]>(),
    createdAt: createdAtProperty(),
    revokedAt: p.datetime().nullable(),
  },
});
export type OAuthClient = InferEntity<typeof OAuthClient>;
