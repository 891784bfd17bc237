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
    currencies: allow,
    transfer: authenticated,
    ledgerEntry: authenticated,
    hold: authenticated,
    ledgerReport: role('treasury', 'admin'),
    events: role('admin', 'operator'),
    event: role('admin', 'operator'),
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
    openAccount: person,
    deposit: role('treasury', 'admin'),
    withdraw: role('treasury', 'admin'),
    transfer: person,
    placeHold: person,
    releaseHold: person,
    refundHold: person,
  },
  Subscription: {
    // Mint refuses anyone but the account's owner, treasury and admins; every event is read with the caller's rights.
    accountActivity: person,
    userSignedUp: role('admin'),
    events: role('admin', 'operator'),
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
  // Mint checks ownership per object: accounts, entries, transfers and holds are their owners' (and treasury's).
  Account: each(allow, ['id', 'owner', 'kind', 'currency', 'balance', 'status', 'version', 'entries', 'createdAt']),
  Money: each(allow, ['amount', 'currency']),
  Currency: each(allow, ['code', 'name', 'minorDigits']),
  Transfer: each(allow, ['id', 'kind', 'fromAccountId', 'toAccountId', 'amount', 'memo', 'idempotencyKey', 'createdAt']),
  LedgerEntry: each(allow, ['id', 'account', 'transfer', 'direction', 'amount', 'balanceAfter', 'accountVersion', 'createdAt']),
  LedgerEntryConnection: each(allow, ['edges', 'pageInfo']),
  LedgerEntryEdge: each(allow, ['cursor', 'node']),
  Hold: each(allow, ['id', 'account', 'amount', 'status', 'reference', 'payeeAccountId', 'endedAt', 'createdAt']),
  LedgerReport: each(allow, ['currency', 'balanced', 'accounts', 'transfers', 'entries', 'total', 'outsideWorld', 'escrow', 'problems']),
  LedgerProblem: each(allow, ['accountId', 'transferId', 'problem']),
  // Nexus: reached only through the admin/operator roots above.
  Event: each(allow, ['id', 'cursor', 'topic', 'type', 'source', 'payload', 'occurredAt', 'loggedAt']),
  EventConnection: each(allow, ['edges', 'pageInfo']),
  EventEdge: each(allow, ['cursor', 'node']),
};
