import { generateKeyPairSync, type KeyObject, createPrivateKey, createPublicKey } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

/** How the caller proved who they are. */
export type IdentityKind = 'anonymous' | 'user' | 'apiKey' | 'client' | 'service';

/** Who is calling, as the router verified it. Subgraphs trust nothing else. */
export interface Identity {
  kind: IdentityKind;
  /** The user (for `user` and `apiKey`), the OAuth client (`client`), or null. */
  userId: string | null;
  roles: string[];
  scopes: string[];
  /** The client's address as the router saw it (for throttling); not an identity. */
  ip?: string;
  /** When the caller's own credential expires (seconds since epoch), if it does. */
  expiresAt?: number;
}

export const ANONYMOUS: Identity = Object.freeze({
  kind: 'anonymous',
  userId: null,
  roles: [],
  scopes: [],
}) as Identity;

/** The header that carries the router-signed identity to subgraphs. */
export const IDENTITY_HEADER = 'x-azora-identity';
const ASSERTION_ISSUER = 'azora-router';
const ASSERTION_AUDIENCE = 'azora-subgraphs';
const ASSERTION_TTL_SECONDS = 60;
const ASSERTION_ALG = 'EdDSA';

/** Accepts a PEM with real or escaped (`\n`) newlines, as environment variables often carry it. */
const pem = (value: string) => value.replace(/\\n/g, '\n').trim();
export const privateKeyFromPem = (value: string): KeyObject => createPrivateKey(pem(value));
export const publicKeyFromPem = (value: string): KeyObject => createPublicKey(pem(value));

/** A fresh Ed25519 key pair as PEM strings, for the launcher's development keys and for tests. */
export function generateAssertionKeys(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * Signs the identity the router verified into a short-lived assertion. Subgraphs accept requests only with a valid
 * one, so a call straight to a subgraph (that skips the router's checks) is refused.
 */
export async function signIdentityAssertion(identity: Identity, key: KeyObject): Promise<string> {
  return new SignJWT({
    kind: identity.kind,
    roles: identity.roles,
    scopes: identity.scopes,
    ...(identity.ip ? { ip: identity.ip } : {}),
    ...(identity.expiresAt ? { cexp: identity.expiresAt } : {}),
  })
    .setProtectedHeader({ alg: ASSERTION_ALG, typ: 'azora-identity+jwt' })
    .setIssuer(ASSERTION_ISSUER)
    .setAudience(ASSERTION_AUDIENCE)
    .setSubject(identity.userId ?? '')
    .setIssuedAt()
    .setExpirationTime(`${ASSERTION_TTL_SECONDS}s`)
    .sign(key);
}

const KINDS: IdentityKind[] = ['anonymous', 'user', 'apiKey', 'client', 'service'];
const stringArray = (value: unknown): string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : [];

/** Verifies an assertion; throws when it is missing, forged, expired or malformed. */
export async function verifyIdentityAssertion(token: string, key: KeyObject): Promise<Identity> {
  const { payload } = await jwtVerify(token, key, {
    algorithms: [ASSERTION_ALG],
    issuer: ASSERTION_ISSUER,
    audience: ASSERTION_AUDIENCE,
    typ: 'azora-identity+jwt',
    maxTokenAge: `${ASSERTION_TTL_SECONDS * 2}s`,
  });
  const kind = payload.kind as IdentityKind;
  if (!KINDS.includes(kind)) throw new Error('identity assertion has an unknown kind');
  return {
    kind,
    userId: payload.sub ? payload.sub : null,
    roles: stringArray(payload.roles),
    scopes: stringArray(payload.scopes),
    ...(typeof payload.ip === 'string' ? { ip: payload.ip } : {}),
    ...(typeof payload.cexp === 'number' ? { expiresAt: payload.cexp } : {}),
  };
}

export const hasRole = (identity: Identity, ...roles: string[]): boolean =>
  roles.some((r) => identity.roles.includes(r));
