import { createHash, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ANONYMOUS, IDENTITY_HEADER, signIdentityAssertion, type Identity } from '@azora/kit';
import { ExpiringCache } from './expiring-cache';

/** Any reason to refuse a credential. Always answered as UNAUTHENTICATED (HTTP 401), never as a 500. */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

export interface TrustedIssuer {
  issuer: string;
  /** Where its keys are: Aegis's internal JWKS URL, or discovered from an OIDC issuer. */
  jwksUrl?: string;
  /** Require RFC 9068 `typ: at+jwt` (Aegis does; other issuers may use `JWT`). */
  requireAccessTokenType: boolean;
}

export interface AuthenticatorOptions {
  issuers: TrustedIssuer[];
  audience: string;
  /** Aegis's base URL, for API-key resolution; without it API keys are refused. */
  aegisUrl?: string;
  /** The router's private key: it signs the service assertion Aegis requires for API-key resolution. */
  routerKey: KeyObject;
  /** How long a resolved API key is trusted without asking Aegis again. */
  apiKeyCacheMs: number;
}

const ALGORITHMS = ['EdDSA', 'ES256'];
const JWKS_COOLDOWN_MS = 1_000;
const VERIFIED_TOKEN_MS = 5 * 60_000;
/** Headers that would let a token name its own key: never honoured. */
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c', 'crit'];
const QUERY_CREDENTIALS = ['access_token', 'token', 'api_key', 'apikey', 'apiKey'];
const stringArray = (value: unknown) =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/**
 * Turns a request's credentials into an Identity: `Authorization: Bearer <jwt>` verified against a trusted issuer's
 * keys (cached, refetched on an unknown `kid`), or `Authorization: ApiKey <secret>` resolved by Aegis (cached briefly).
 * No credentials is the anonymous identity; bad credentials are an AuthenticationError.
 */
export class Authenticator {
  private readonly keySets = new Map<string, JWTVerifyGetKey>();
  private readonly apiKeys = new ExpiringCache<Identity>();
  /** Verified access tokens by digest, until they expire (at most VERIFIED_TOKEN_MS): a signature check per token, not per request. */
  private readonly verified = new ExpiringCache<Identity>();

  constructor(private readonly options: AuthenticatorOptions) {}

  async authenticate(headers: IncomingHttpHeaders, url: string | undefined, ip: string | undefined): Promise<Identity> {
    if (url && QUERY_CREDENTIALS.some((name) => new URL(url, 'http://x').searchParams.has(name))) {
      throw new AuthenticationError('Credentials in the URL are refused; send them in the Authorization header');
    }
    const authorization = headers.authorization;
    if (!authorization) return { ...ANONYMOUS, ...(ip ? { ip } : {}) };
    const [scheme, credential, ...rest] = authorization.trim().split(/\s+/);
    if (!credential || rest.length > 0) throw new AuthenticationError('Malformed Authorization header');
    const identity =
      scheme?.toLowerCase() === 'bearer'
        ? await this.verifyJwt(credential)
        : scheme?.toLowerCase() === 'apikey'
          ? await this.resolveApiKey(credential)
          : undefined;
    if (!identity) throw new AuthenticationError('Unsupported authorization scheme; use Bearer or ApiKey');
    return { ...identity, ...(ip ? { ip } : {}) };
  }

  private async verifyJwt(token: string): Promise<Identity> {
    const digest = createHash('sha256').update(token).digest('base64url');
    const now = Date.now();
    const known = this.verified.get(digest, now);
    if (known) return known;
    const identity = await this.verifyJwtSignature(token);
    // Never past the token's own exp (no clock tolerance here), and re-verified every few minutes against the issuer's
    // current keys, like jose's own key-set cache.
    if (identity.expiresAt)
      this.verified.set(digest, identity, Math.min(identity.expiresAt * 1000, now + VERIFIED_TOKEN_MS), now);
    return identity;
  }

  private async verifyJwtSignature(token: string): Promise<Identity> {
    let issuer: TrustedIssuer | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (FORBIDDEN_HEADERS.some((name) => name in header)) throw new AuthenticationError('Token names its own key');
      const claims = decodeJwt(token);
      issuer = this.options.issuers.find((i) => i.issuer === claims.iss);
      if (!issuer) throw new AuthenticationError('Token from an untrusted issuer');
      if (issuer.requireAccessTokenType && header.typ !== 'at+jwt')
        throw new AuthenticationError('Not an access token');
      const keySet = await this.keySet(issuer);
      const verify = () =>
        jwtVerify(token, keySet, {
          algorithms: ALGORITHMS,
          issuer: issuer!.issuer,
          audience: this.options.audience,
          requiredClaims: ['sub', 'exp'],
          clockTolerance: 5,
        });
      const { payload } = await verify().catch(async (error: { code?: string }) => {
        // An unknown kid right after the key set was fetched (within jose's cooldown) may be a freshly rotated key:
        // wait out the cooldown once so the next attempt refetches.
        if (error.code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
        await new Promise((resolve) => setTimeout(resolve, JWKS_COOLDOWN_MS + 50));
        return verify();
      });
      return {
        kind: payload.kind === 'client' ? 'client' : 'user',
        userId: payload.sub!,
        roles: stringArray(payload.roles),
        scopes: stringArray(payload.scopes),
        expiresAt: payload.exp,
      };
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      // jose's reasons (expired, bad signature, unknown kid, …) are all the same answer to the caller.
      throw new AuthenticationError(`Invalid token: ${(error as Error).message}`);
    }
  }

  private async keySet(issuer: TrustedIssuer): Promise<JWTVerifyGetKey> {
    const known = this.keySets.get(issuer.issuer);
    if (known) return known;
    let jwksUrl = issuer.jwksUrl;
    if (!jwksUrl) {
      const discovery = await fetch(`${issuer.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(5_000),
      });
      if (!discovery.ok) throw new AuthenticationError('Issuer discovery failed');
      const document = (await discovery.json()) as { issuer?: string; jwks_uri?: string };
      if (document.issuer !== issuer.issuer || !document.jwks_uri)
        throw new AuthenticationError('Issuer discovery mismatch');
      jwksUrl = document.jwks_uri;
    }
    // jose caches the set and refetches when a token names an unknown kid: at most once a second, so a rotated-in
    // key is picked up at once while a flood of made-up kids costs one fetch per second.
    const keySet = createRemoteJWKSet(new URL(jwksUrl), {
      cooldownDuration: JWKS_COOLDOWN_MS,
      cacheMaxAge: 10 * 60_000,
    });
    this.keySets.set(issuer.issuer, keySet);
    return keySet;
  }

  private async resolveApiKey(secret: string): Promise<Identity> {
    if (!this.options.aegisUrl)
      throw new AuthenticationError('API keys are not accepted here: this supergraph has no Aegis to resolve them');
    const cacheKey = createHash('sha256').update(secret).digest('hex');
    const cached = this.apiKeys.get(cacheKey);
    if (cached) return cached;
    const service: Identity = { kind: 'service', userId: null, roles: [], scopes: [] };
    const response = await fetch(new URL('/internal/api-keys/resolve', this.options.aegisUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [IDENTITY_HEADER]: await signIdentityAssertion(service, this.options.routerKey),
      },
      body: JSON.stringify({ secret }),
      signal: AbortSignal.timeout(5_000),
    });
    if (response.status === 404) throw new AuthenticationError('Unknown, revoked or expired API key');
    if (!response.ok) throw new Error(`API-key resolution failed with HTTP ${response.status}`);
    const body = (await response.json()) as {
      userId: string;
      roles: string[];
      scopes: string[];
      expiresAt: string | null;
    };
    const identity: Identity = {
      kind: 'apiKey',
      userId: body.userId,
      roles: body.roles,
      scopes: body.scopes,
      ...(body.expiresAt ? { expiresAt: Math.floor(Date.parse(body.expiresAt) / 1000) } : {}),
    };
    this.apiKeys.set(cacheKey, identity, Date.now() + this.options.apiKeyCacheMs);
    return identity;
  }
}
