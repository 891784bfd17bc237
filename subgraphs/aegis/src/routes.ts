import express from 'express';
import { IDENTITY_HEADER } from '@azora/kit';
import { ApiKeyService } from './api-keys.service';
import { OAuthError, OAuthService } from './oauth.service';
import type { AegisRuntime } from './runtime';

/**
 * Aegis's HTTP endpoints beside GraphQL: the JWKS and discovery document (public, proxied by the router), the OAuth2
 * token endpoint (public, proxied by the router), and API-key resolution (the router only).
 */
export function aegisRoutes(runtime: AegisRuntime) {
  return (app: express.Express) => {
    const issuer = runtime.config.AZORA_ISSUER.replace(/\/$/, '');
    app.get('/.well-known/jwks.json', async (_req, res) => {
      res.set('cache-control', 'public, max-age=60').json(await runtime.keys.jwks());
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
        const service = new OAuthService(runtime.orm.em.fork(), runtime);
        res.json(await service.clientCredentials(req.body ?? {}, req.headers.authorization));
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        if (error.status === 401) res.set('www-authenticate', 'Basic realm="azora"');
        res.status(error.status).json({ error: error.error, error_description: error.message });
      }
    });
    app.post('/internal/api-keys/resolve', express.json({ limit: '4kb' }), async (req, res) => {
      const assertion = req.headers[IDENTITY_HEADER];
      const caller = typeof assertion === 'string' ? await runtime.verifyAssertion(assertion).catch(() => null) : null;
      if (caller?.kind !== 'service') {
        res.status(401).json({ error: 'only the router may resolve API keys' });
        return;
      }
      const secret = typeof req.body?.secret === 'string' ? req.body.secret : '';
      const resolved = await new ApiKeyService(runtime.orm.em.fork(), runtime).resolve(secret);
      if (!resolved) {
        res.status(404).json({ error: 'unknown, revoked or expired key' });
        return;
      }
      res.json({ ...resolved, expiresAt: resolved.expiresAt?.toISOString() ?? null });
    });
  };
}
