import { join } from 'node:path';
import {
  ANONYMOUS,
  defineSubgraph,
  loadTypeDefs,
  subgraphContext,
  type ContextOf,
  type SetupContext,
  type SetupDeps,
  type SubgraphExtension,
} from '@azora/kit';
import { ApiKeyService } from './api-keys.service';
import { AuthService } from './auth.service';
import { aegisConfig } from './config';
import { seedDemoData } from './demo-data';
import { ApiKey } from './entities/api-key.entity';
import { OAuthClient } from './entities/oauth-client.entity';
import { Session } from './entities/session.entity';
import { SignInThrottle } from './entities/sign-in-throttle.entity';
import { SigningKey } from './entities/signing-key.entity';
import { User } from './entities/user.entity';
import { aegisEvents } from './events';
import { createLoaders } from './loaders';
import { OAuthService } from './oauth.service';
import { permissions } from './permissions';
import { resolvers } from './resolvers';
import { RoleService } from './roles.service';
import { aegisRoutes } from './routes';
import { SigningKeyService } from './signing-keys';
import { UserService } from './user.service';
export { aegisEvents } from './events';

/** What an Aegis request's context is made of: its loaders, the events it records, its services and settings. */
const context = subgraphContext({
  loaders: createLoaders,
  events: aegisEvents,
  services: {
    users: UserService,
    auth: AuthService,
    apiKeys: ApiKeyService,
    oauth: OAuthService,
    roles: RoleService,
    signingKeys: SigningKeyService,
  },
  config: aegisConfig,
});

/** What every Aegis resolver, rule and service receives (codegen's `contextType`). */
export type Context = ContextOf<typeof context>;

/** Azora Aegis: people, roles and credentials; issues tokens and serves the JWKS. */
export const aegis = defineSubgraph({
  name: 'aegis',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  context,
  resolvers,
  permissions,
  entities: [User, Session, SigningKey, ApiKey, OAuthClient, SignInThrottle],
  migrationsDir: join(__dirname, 'migrations'),
  seedDemoData,
  setup: setupAegis,
});

/** Makes the first signing key and the start-up admin, then serves Aegis's HTTP routes: all through the services. */
async function setupAegis({
  config,
  as,
  verifyAssertion,
}: SetupDeps & SetupContext<Context>): Promise<SubgraphExtension> {
  // `config` is the one every request sees, so a rotation through GraphQL also reaches the token endpoint's key cache.
  // Aegis's own start-up work: there is no caller, and nothing in it depends on one.
  const { signingKeys, roles } = as(ANONYMOUS).services;
  await signingKeys.ensureKey();
  if (config.AZORA_ADMIN_EMAIL && config.AZORA_ADMIN_PASSWORD) {
    await roles.bootstrapAdmin(config.AZORA_ADMIN_EMAIL, config.AZORA_ADMIN_PASSWORD);
  }
  return { routes: aegisRoutes({ config, as, verifyAssertion }) };
}
