import { badInput } from '@azora/kit';
import { parseScopes } from './api-keys.service';
import { OAuthClient } from './entities/oauth-client.entity';
import { ROLES, type Role } from './entities/user.entity';
import type { Context } from './schema';
import { digestsEqual, hmac, newSecret } from './secrets';

/** An RFC 6749 §5.2 error: the token endpoint answers it as JSON with this status. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope',
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** OAuth2 client-credentials (RFC 6749 §4.4) for machine clients. */
export class OAuthService {
  constructor(private readonly ctx: Context) {}

  /** A new client (only admins may register one: the router's rule). The secret is returned exactly once. */
  async registerClient(input: { name: string; roles: string[]; scopes: string[] }) {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 120) throw badInput('A client name has 1 to 120 characters', 'name');
    const unknown = input.roles.filter((r) => !ROLES.includes(r as Role));
    if (unknown.length) throw badInput(`Unknown roles: ${unknown.join(', ')}`, 'roles');
    const clientSecret = newSecret('azc');
    const client = this.ctx.em.create(OAuthClient, {
      name,
      roles: [...new Set(input.roles)] as Role[],
      scopes: parseScopes(input.scopes),
      secretDigest: hmac(this.ctx.config.AEGIS_SECRET_PEPPER, clientSecret),
    });
    await this.ctx.em.flush();
    return { client, clientSecret };
  }

  /**
   * The token endpoint. Client authentication by HTTP Basic (client_secret_basic) or form fields
   * (client_secret_post); the requested scopes must be a subset of the client's.
   */
  async clientCredentials(form: Record<string, unknown>, authorization: string | undefined) {
    if (form.grant_type !== 'client_credentials') {
      throw new OAuthError('unsupported_grant_type', 400, 'Only grant_type=client_credentials is supported');
    }
    let clientId = typeof form.client_id === 'string' ? form.client_id : undefined;
    let clientSecret = typeof form.client_secret === 'string' ? form.client_secret : undefined;
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        clientId = decodeURIComponent(decoded.slice(0, colon));
        clientSecret = decodeURIComponent(decoded.slice(colon + 1));
      }
    }
    if (!clientId || !clientSecret) throw new OAuthError('invalid_client', 401, 'Client authentication is required');
    const client = clientId.length <= 36 ? await this.ctx.em.findOne(OAuthClient, { id: clientId }) : null;
    const digest = hmac(this.ctx.config.AEGIS_SECRET_PEPPER, clientSecret);
    if (!client || client.revokedAt || !digestsEqual(client.secretDigest, digest)) {
      throw new OAuthError('invalid_client', 401, 'Unknown client or wrong secret');
    }
    const requested =
      typeof form.scope === 'string' && form.scope.trim() ? form.scope.trim().split(/\s+/) : client.scopes;
    const notAllowed = requested.filter((s) => !client.scopes.includes(s));
    if (notAllowed.length)
      throw new OAuthError('invalid_scope', 400, `Scopes not granted to this client: ${notAllowed.join(' ')}`);
    const { token, expiresIn } = await this.ctx.services.signingKeys.accessToken({
      subject: client.id,
      kind: 'client',
      roles: client.roles,
      scopes: requested,
    });
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: requested.join(' ') };
  }
}
