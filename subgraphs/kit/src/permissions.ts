import { GraphQLError } from 'graphql';
import { rule } from 'graphql-shield';
import { ErrorCode } from './errors';
import { hasRole, type Identity } from './identity';

/**
 * Object-level rules for subgraph shields: they need the parent object, which only the subgraph has. Role and
 * scope rules for whole fields live in the router's rule tree.
 */
interface WithIdentity {
  identity: Identity;
}

export const forbidden = (message = 'You may not see or change this') =>
  new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN } });

/**
 * The parent object belongs to the caller, or the caller has one of the roles. Not cached: it depends on the parent.
 * `name` must be unique within the subgraph's rule tree (graphql-shield requires it).
 */
export function ownerOr<Parent>(name: string, ownerOf: (parent: Parent) => string | null | undefined, ...roles: string[]) {
  return rule(name, { cache: 'no_cache' })((parent: Parent, _args, { identity }: WithIdentity) => {
    const owner = ownerOf(parent);
    return (owner != null && identity.kind !== 'anonymous' && identity.userId === owner) || hasRole(identity, ...roles)
      ? true
      : forbidden();
  });
}
