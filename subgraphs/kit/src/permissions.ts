import { GraphQLError } from 'graphql';
import { rule } from 'graphql-shield';
import { ErrorCode } from './errors';
import { hasRole, type Identity } from './identity';

/**
 * Object-level rules for subgraph shields: they need the parent object, which only the subgraph has. Role and
 * scope rules for whole fields are access directives in the subgraph's SDL, which the router enforces.
 */
interface WithIdentity {
  identity: Identity;
}

export const forbidden = (message = 'You may not see or change this') =>
  new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN } });

type Owners = string | null | undefined | (string | null | undefined)[];

/**
 * The parent object belongs to the caller (one of its owners), or the caller has one of the roles. Not cached: it
 * depends on the parent. `ownerOf` may use the request's loaders. `name` must be unique within the subgraph's rule
 * tree (graphql-shield requires it).
 */
export function ownerOr<Parent, Context extends WithIdentity = WithIdentity>(
  name: string,
  ownerOf: (parent: Parent, context: Context) => Owners | Promise<Owners>,
  ...roles: string[]
) {
  return rule(name, { cache: 'no_cache' })(async (parent: Parent, _args, context: Context) => {
    const { identity } = context;
    if (hasRole(identity, ...roles)) return true;
    if (identity.kind === 'anonymous' || !identity.userId) return forbidden();
    const owners = [await ownerOf(parent, context)].flat();
    return owners.includes(identity.userId) ? true : forbidden();
  });
}
