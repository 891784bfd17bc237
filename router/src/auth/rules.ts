import { GraphQLError } from 'graphql';
import { allow, deny, rule } from 'graphql-shield';
import type { IRule } from 'graphql-shield';
import { ErrorCode, type Identity } from '@azora/kit';

export { allow, deny };
/** A graphql-shield rule (rule(), allow, deny, and(), or() all have this shape). */
export type ShieldRule = Pick<IRule, 'resolve'>;

/** What the router's rules see: the verified identity of the caller. */
export interface RuleContext {
  identity: Identity;
}

export const unauthenticated = () =>
  new GraphQLError('Sign in to do this', { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
export const forbidden = (reason: string) =>
  new GraphQLError(`Not allowed: ${reason}`, { extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } } });

const signedIn = (identity: Identity) => identity.kind !== 'anonymous';

/**
 * The rules whose answer depends on the caller's kind, roles and scopes only — not on arguments, not on the user id —
 * so the router may remember an allowed operation per (document, caller's kind, roles, scopes) (authorize.ts).
 */
const identityOnlyRules = new WeakSet<object>([allow, deny]);
const identityOnly = <R extends ShieldRule>(rule: R): R => {
  identityOnlyRules.add(rule);
  return rule;
};
export const isIdentityOnly = (rule: ShieldRule): boolean => identityOnlyRules.has(rule);

// Rules read only the identity, so the contextual cache (one result per request and rule name) is safe: each
// distinct rule has a distinct name.

/** Any verified caller: a person, an API key or a machine client. */
export const authenticated = identityOnly(
  rule('authenticated', { cache: 'contextual' })((_p, _a, { identity }: RuleContext) =>
    signedIn(identity) ? true : unauthenticated(),
  ),
);

/** A person: signed in with a token of their own or an API key acting for them. Not a machine client. */
export const person = identityOnly(
  rule('person', { cache: 'contextual' })((_p, _a, { identity }: RuleContext) =>
    !signedIn(identity)
      ? unauthenticated()
      : identity.kind === 'user' || identity.kind === 'apiKey'
        ? true
        : forbidden('people only'),
  ),
);

/** A person signed in with their own token: not an API key, not a machine client. */
export const signedInPerson = identityOnly(
  rule('signedInPerson', { cache: 'contextual' })((_p, _a, { identity }: RuleContext) =>
    !signedIn(identity)
      ? unauthenticated()
      : identity.kind === 'user'
        ? true
        : forbidden('sign in as a person to do this'),
  ),
);

/** Any of the roles. */
export function role(...roles: string[]): ShieldRule {
  return identityOnly(
    rule(`role(${roles.join('|')})`, { cache: 'contextual' })((_p, _a, { identity }: RuleContext) =>
      !signedIn(identity)
        ? unauthenticated()
        : roles.some((r) => identity.roles.includes(r))
          ? true
          : forbidden(`needs the role ${roles.join(' or ')}`),
    ),
  );
}

/** A scope on the caller's API key or client token. */
export function scope(name: string): ShieldRule {
  return identityOnly(
    rule(`scope(${name})`, { cache: 'contextual' })((_p, _a, { identity }: RuleContext) =>
      !signedIn(identity)
        ? unauthenticated()
        : identity.scopes.includes(name)
          ? true
          : forbidden(`needs the scope ${name}`),
    ),
  );
}

type ShieldArgs = Parameters<ShieldRule['resolve']>;

/**
 * Every rule must allow (an access directive's inner list, or several requirements on one field). The first refusal
 * is the answer, so the caller is told what is missing first. Identity-only when every part is.
 */
export function allOf(rules: ShieldRule[]): ShieldRule {
  if (rules.includes(deny)) return deny;
  const needed = [...new Set(rules.filter((r) => r !== allow))];
  if (needed.length === 0) return allow;
  if (needed.length === 1) return needed[0]!;
  const combined: ShieldRule = {
    async resolve(...args: ShieldArgs) {
      for (const rule of needed) {
        const result = await rule.resolve(...args);
        if (result !== true) return result;
      }
      return true;
    },
  };
  return needed.every(isIdentityOnly) ? identityOnly(combined) : combined;
}

/**
 * Any rule may allow (an access directive's outer list). When none does, the first refusal is the answer (for an
 * anonymous caller every rule asks to sign in). Identity-only when every part is.
 */
export function anyOf(rules: ShieldRule[]): ShieldRule {
  if (rules.includes(allow)) return allow;
  const possible = [...new Set(rules.filter((r) => r !== deny))];
  if (possible.length === 0) return deny;
  if (possible.length === 1) return possible[0]!;
  const combined: ShieldRule = {
    async resolve(...args: ShieldArgs) {
      let refusal: Awaited<ReturnType<ShieldRule['resolve']>> | undefined;
      for (const rule of possible) {
        const result = await rule.resolve(...args);
        if (result === true) return true;
        refusal ??= result;
      }
      return refusal!;
    },
  };
  return possible.every(isIdentityOnly) ? identityOnly(combined) : combined;
}
