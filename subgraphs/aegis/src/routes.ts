import express from 'express';
import { ANONYMOUS, IDENTITY_HEADER, type Identity } from '@azora/kit';
import type { AegisRunningConfig } from './config';
import { OAuthError } from './oauth.service';
import type { Context } from './schema';

export interface AegisRoutesDeps {
  /** The settings the services see as `ctx.config`. */
  config: AegisRunningConfig;
  /** A request context for this caller, with a fresh entity manager: routes go through the services too. */
  as(identity: Identity): Context;
  /** Verifies a router-signed identity assertion. */
  verifyAssertion(token: string): Promise<Identity>;
}

/**
 * Aegis's HTTP endpoints beside GraphQL: the JWKS and discovery document (public, proxied by the router), the OAuth2
 * token endpoint (public, proxied by the router), and API-key resolution (the router only).
 */
export function aegisRoutes({ config, as, verifyAssertion }: AegisRoutesDeps) {
  return (app: express.Express) => {
    const issuer = config.AZORA_ISSUER.replace(/\/$/, '');
    app.get('/.well-known/jwks.json', async (_req, res) => {
      res.set('cache-control', 'public, max-age=60').json(await as(ANONYMOUS).services.signingKeys.jwks());
    });
    app.get('/.well-known/openid-configuration', (_req, res) => {
      res.set('cache-control', 'public, max-age=300').json({
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        token_endpoint: `${issuer}/oauth/token`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        id_token_signing_alg_values_supported: ['EdDSA'],
      });
    });
    app.post('/oauth/token', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
      res.set({ 'cache-control': 'no-store', pragma: 'no-cache' });
      try {
        // The client authenticates with its own secret, in the request: to everything else it is anonymous.
        const { oauth } = as(ANONYMOUS).services;
        res.json(await oauth.clientCredentials(req.body ?? {}, req.headers.authorization));
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        if (error.status === 401) res.set('www-authenticate', 'Basic realm="azora"');
        res.status(error.status).json({ error: error.error, error_description: error.message });
      }
    });
    app.post('/internal/api-keys/resolve', express.json({ limit: '4kb' }), async (req, res) => {
      const assertion = req.headers[IDENTITY_HEADER];
      const caller = typeof assertion === 'string' ? await verifyAssertion(assertion).catch(() => null) : null;
      if (caller?.kind !== 'service') {
        res.status(401).json({ error: 'only the router may resolve API keys' });
        return;
      }
      const secret = typeof req.body?.secret === 'string' ? req.body.secret : '';
      const resolved = await as(caller).services.apiKeys.resolve(secret);
      if (!resolved) {
        res.status(404).json({ error: 'unknown, revoked or expired key' });
        return;
      }
      res.json({ ...resolved, expiresAt: resolved.expiresAt?.toISOString() ?? null });
    });
  };
}
