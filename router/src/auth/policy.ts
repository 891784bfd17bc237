import { allow, authenticated, each, person, role, signedInPerson, type ShieldRule } from './rules';

/** A permission policy: a rule for every field, keyed by supergraph type and field. Anything missing is denied. */
export type Policy = Record<string, Record<string, ShieldRule>>;

/**
 * Azora's rule tree: the router evaluates it before anything is sent to a subgraph, deny by default. Whole-field
 * decisions (who may call this at all) live here; object-level ones (is this my account?) live in the subgraphs.
 * A new field is denied until it gets an entry here; a test fails until then.
 */
export const azoraPolicy: Policy = {
  Query: {
    me: allow,
    user: authenticated,
    users: role('admin'),
    apiKeys: person,
    account: authenticated,
  },
  Mutation: {
    signUp: allow,
    signIn: allow,
    refreshSession: allow,
    signOut: allow,
    createApiKey: signedInPerson,
    revokeApiKey: person,
    registerOAuthClient: role('admin'),
    grantRole: role('admin'),
    revokeRole: role('admin'),
    rotateSigningKey: role('admin'),
  },
  // Reached only through the roots above; private fields are checked per object by Aegis.
  User: each(allow, ['id', 'displayName', 'email', 'roles', 'createdAt', 'accounts']),
  AuthPayload: each(allow, ['accessToken', 'refreshToken', 'expiresIn', 'user']),
  UserConnection: each(allow, ['edges', 'pageInfo']),
  UserEdge: each(allow, ['cursor', 'node']),
  PageInfo: each(allow, ['hasNextPage', 'endCursor']),
  ApiKey: each(allow, ['id', 'name', 'prefix', 'scopes', 'expiresAt', 'lastUsedAt', 'revokedAt', 'createdAt']),
  ApiKeyCreated: each(allow, ['apiKey', 'secret']),
  OAuthClient: each(allow, ['id', 'name', 'roles', 'scopes', 'createdAt']),
  OAuthClientCreated: each(allow, ['client', 'clientSecret']),
  SigningKeyRotation: each(allow, ['kid', 'publishedKids']),
  // Mint checks account ownership per object.
  Account: each(allow, ['id', 'owner', 'currency', 'balance']),
  Money: each(allow, ['amount', 'currency']),
};
