import type { SupergraphSdlHook } from '@apollo/gateway';
import {
  ROUTER_SUPPORTED_SUPERGRAPH_FEATURES,
  Supergraph,
  baseType,
  type NamedType,
  type Schema,
} from '@apollo/federation-internals';
import { print, type DirectiveNode, type GraphQLSchema } from 'graphql';
import type { Logger } from '@azora/kit';
import type { LivePolicy } from './live-policy';
import type { Policy } from './policy';
import {
  allOf,
  allow,
  anyOf,
  authenticated,
  deny,
  person,
  role,
  scope,
  signedInPerson,
  type ShieldRule,
} from './rules';

/**
 * Access is declared in the subgraphs' SDL with the federation directives `@authenticated`, `@requiresScopes` and
 * `@policy` (Federation 2.5+), which composition carries into the supergraph; the router derives its policy from them.
 *
 * - `@authenticated`: any verified caller.
 * - `@requiresScopes(scopes: [["a", "b"], ["c"]])`: the caller's scopes include a and b, or c.
 * - `@policy(policies: [["role:faculty"], ["role:admin"]])`: outer list any of, inner list all of (as Apollo defines
 *   it), over the named policies below.
 * - On a type, a directive applies to every field that returns the type, on top of the field's own.
 *
 * Deny by default at the root: a Query, Mutation or Subscription field without an access directive of its own is
 * refused (and `npm run compose` refuses to write such a supergraph). Any other field is reachable only through a root
 * field, so it needs no directive; one it carries is enforced too.
 */

/** The named policies `@policy` may use; the same building blocks as a policy file (policy-file.ts). */
export const NAMED_POLICIES =
  '"public" (anyone, signed in or not), "person", "signedInPerson", "role:<role>" (letters, digits, _ and -)';

const FIXED_POLICIES: Record<string, ShieldRule> = { public: allow, person, signedInPerson };
const ROLE_POLICY = /^role:([A-Za-z_][\w-]*)$/;

/** The specs whose directives the router enforces, by identity (the link URL without its version). */
const SECURITY_SPECS = {
  authenticated: 'https://specs.apollo.dev/authenticated',
  requiresScopes: 'https://specs.apollo.dev/requiresScopes',
  policy: 'https://specs.apollo.dev/policy',
} as const;

export class SupergraphPolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`the supergraph's access directives are not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SupergraphPolicyError';
  }
}

/** A supergraph as the router reads it: its security links are checked against the ones Apollo Router supports. */
const supergraphOf = (supergraphSdl: string): Supergraph =>
  Supergraph.build(supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES });

/** The client-facing schema of a composed supergraph SDL (federation internals and security directives removed). */
export const apiSchemaOf = (supergraphSdl: string): GraphQLSchema =>
  supergraphOf(supergraphSdl).apiSchema().toGraphQLJSSchema();

/** An element of the supergraph schema that directives are applied to (a field or a type). */
interface Element {
  appliedDirectivesOf(name: string): { arguments(): Record<string, unknown> }[];
}

/** Reads the access directives of a supergraph schema into rules; unknown policy names are collected in `problems`. */
function accessReader(schema: Schema, problems: string[]): (element: Element, coordinate: string) => ShieldRule[] {
  const nameOf = (identity: string, spec: string) =>
    schema.coreFeatures?.getByIdentity(identity)?.directiveNameInSchema(spec);
  const names = {
    authenticated: nameOf(SECURITY_SPECS.authenticated, 'authenticated'),
    requiresScopes: nameOf(SECURITY_SPECS.requiresScopes, 'requiresScopes'),
    policy: nameOf(SECURITY_SPECS.policy, 'policy'),
  };
  const applied = (element: Element, name: string | undefined) =>
    name ? element.appliedDirectivesOf(name).map((d) => d.arguments()) : [];
  const named = (coordinate: string, name: string): ShieldRule => {
    if (Object.hasOwn(FIXED_POLICIES, name)) return FIXED_POLICIES[name]!;
    const roleName = ROLE_POLICY.exec(name)?.[1];
    if (roleName) return role(roleName);
    problems.push(`${coordinate}: unknown policy "${name}"; the router knows ${NAMED_POLICIES}`);
    return deny;
  };
  /** Outer list any of, inner list all of. Roles only: one role rule, which names every role in its refusal. */
  const alternatives = (
    lists: string[][],
    ruleOf: (name: string) => ShieldRule,
    coordinate: string,
    directive: string,
  ): ShieldRule => {
    // An empty list would allow everyone (all of nothing) while counting as a declaration: anyone is `["public"]`.
    if (lists.length === 0 || lists.some((inner) => inner.length === 0)) {
      problems.push(
        `${coordinate}: @${directive} with an empty list; to allow anyone, write @policy(policies: [["public"]])`,
      );
      return deny;
    }
    const roles = lists.map((inner) => (inner.length === 1 ? ROLE_POLICY.exec(inner[0]!)?.[1] : undefined));
    if (roles.length > 0 && roles.every(Boolean)) return role(...(roles as string[]));
    return anyOf(lists.map((inner) => allOf(inner.map(ruleOf))));
  };
  return (element, coordinate) => [
    ...applied(element, names.authenticated).map(() => authenticated),
    ...applied(element, names.requiresScopes).map((args) =>
      alternatives(args.scopes as string[][], scope, coordinate, 'requiresScopes'),
    ),
    ...applied(element, names.policy).map((args) =>
      alternatives(args.policies as string[][], (name) => named(coordinate, name), coordinate, 'policy'),
    ),
  ];
}

interface FieldAccess {
  typeName: string;
  fieldName: string;
  root: boolean;
  /** The rules of the field's own directives. */
  own: ShieldRule[];
  /** The rules of the directives on the type the field returns. */
  ofType: ShieldRule[];
}

interface SupergraphAccess {
  fields: FieldAccess[];
  problems: string[];
  /** Where in the SDL the links to the enforced security specs with a `for:` are, and the same link without it. */
  securityLinks: { start: number; end: number; withoutPurpose: string }[];
}

/**
 * The last supergraphs read, by SDL: building one costs a few hundred milliseconds, and each is read when it is handed
 * to the gateway (forGateway) and again, as the gateway's SDL, when it is served (SupergraphPolicy). A handful, as
 * tests run several routers over the same few supergraphs.
 */
const recentlyRead = new Map<string, SupergraphAccess>();
const RECENTLY_READ = 4;

function remember(supergraphSdl: string, access: SupergraphAccess): SupergraphAccess {
  recentlyRead.delete(supergraphSdl);
  recentlyRead.set(supergraphSdl, access);
  if (recentlyRead.size > RECENTLY_READ) recentlyRead.delete(recentlyRead.keys().next().value!);
  return access;
}

/** The access directives on every field of a supergraph's API schema (object and interface types). */
function readSupergraph(supergraphSdl: string): SupergraphAccess {
  const known = recentlyRead.get(supergraphSdl);
  if (known) return remember(supergraphSdl, known);
  const supergraph = supergraphOf(supergraphSdl);
  const api = supergraph.apiSchema();
  const problems: string[] = [];
  const access = accessReader(supergraph.schema, problems);
  const roots = new Set(api.schemaDefinition.roots().map((root) => root.type.name));
  const fields: FieldAccess[] = [];
  for (const apiType of api.types()) {
    if (apiType.kind !== 'ObjectType' && apiType.kind !== 'InterfaceType') continue;
    const type = supergraph.schema.type(apiType.name);
    if (!type || (type.kind !== 'ObjectType' && type.kind !== 'InterfaceType')) continue;
    for (const { name: fieldName } of apiType.fields()) {
      const field = type.field(fieldName);
      if (!field?.type) continue;
      const coordinate = `${apiType.name}.${fieldName}`;
      const returned = baseType(field.type) as NamedType;
      fields.push({
        typeName: apiType.name,
        fieldName,
        root: roots.has(apiType.name),
        own: access(field, coordinate),
        ofType: access(returned, `${returned.name} (returned by ${coordinate})`),
      });
    }
  }
  const identities = new Set<string>(Object.values(SECURITY_SPECS));
  const securityLinks = (supergraph.schema.coreFeatures?.allFeatures() ?? []).flatMap((feature) => {
    const node = feature.directive.sourceAST as DirectiveNode | undefined;
    if (!feature.purpose || !identities.has(feature.url.identity) || !node?.loc) return [];
    const withoutPurpose = print({ ...node, arguments: node.arguments?.filter((a) => a.name.value !== 'for') });
    return [{ start: node.loc.start, end: node.loc.end, withoutPurpose }];
  });
  return remember(supergraphSdl, { fields, problems, securityLinks });
}

export interface SupergraphPolicyOptions {
  /**
   * `deny` (the default): a root field without an access directive of its own is denied. `allow`: only when another
   * policy that denies by default decides it too (a policy file; both must allow), so the directives only add.
   */
  undeclaredRoots?: 'deny' | 'allow';
}

/**
 * The policy a supergraph's access directives declare, for every field of its API schema. Throws a
 * SupergraphPolicyError naming every unknown policy, so a supergraph the router cannot enforce is never served.
 */
export function policyOfSupergraph(supergraphSdl: string, options: SupergraphPolicyOptions = {}): Policy {
  const { fields, problems } = readSupergraph(supergraphSdl);
  if (problems.length > 0) throw new SupergraphPolicyError(problems);
  const policy: Policy = {};
  for (const { typeName, fieldName, root, own, ofType } of fields) {
    const rules = (policy[typeName] ??= {});
    // A root field without a directive of its own has no entry, so it is denied: nothing is public by omission.
    if (root && own.length === 0 && options.undeclaredRoots !== 'allow') continue;
    rules[fieldName] = allOf([...own, ...ofType]);
  }
  return policy;
}

/** The root fields of a supergraph that carry no access directive of their own (deny by default names them). */
export function rootFieldsWithoutAccess(supergraphSdl: string): string[] {
  return readSupergraph(supergraphSdl)
    .fields.filter((f) => f.root && f.own.length === 0)
    .map((f) => `${f.typeName}.${f.fieldName}`);
}

/** Every access directive the router could not enforce (unknown policy names, empty lists), as start-up reports them. */
export function accessDirectiveProblems(supergraphSdl: string): string[] {
  return readSupergraph(supergraphSdl).problems;
}

/**
 * The supergraph as bare @apollo/gateway accepts it. The checked-in supergraph is standard (Apollo Router loads it
 * unchanged): composition links the security specs `for: SECURITY`, and the gateway refuses every `for: SECURITY`
 * feature outside its default set, as it cannot enforce them itself. The router enforces them (policyOfSupergraph), so
 * it drops that `for:` from those three links only; their directives stay in place, and a link to any other security
 * feature is still refused. Checks the access directives first: throws a SupergraphPolicyError listing every problem.
 */
export function forGateway(supergraphSdl: string): string {
  const access = readSupergraph(supergraphSdl);
  if (access.problems.length > 0) throw new SupergraphPolicyError(access.problems);
  let sdl = supergraphSdl;
  // Edited in place, last first so the earlier offsets hold: the rest of the SDL is left exactly as composed.
  for (const link of [...access.securityLinks].sort((a, b) => b.start - a.start)) {
    sdl = sdl.slice(0, link.start) + link.withoutPurpose + sdl.slice(link.end);
  }
  // The gateway reports this SDL back when it serves it; the policy read from it is the same.
  if (sdl !== supergraphSdl) remember(sdl, { ...access, securityLinks: [] });
  return sdl;
}

/** What the gateway is given, on every path: a supergraph string, or a hook's first load and each of its updates. */
export function gatewaySupergraph(supergraph: string | SupergraphSdlHook): string | SupergraphSdlHook {
  if (typeof supergraph === 'string') return forGateway(supergraph);
  return async (options) => {
    // An update that throws here is refused like any other the gateway refuses: the served schema stays.
    const loaded = await supergraph({ ...options, update: (sdl) => options.update(forGateway(sdl)) });
    return { ...loaded, supergraphSdl: forGateway(loaded.supergraphSdl) };
  };
}

/**
 * The router's policy by default: the served supergraph's access directives, derived again whenever it changes. Until
 * a supergraph is loaded, and should one ever fail to yield a policy, nothing is allowed.
 */
export class SupergraphPolicy implements LivePolicy {
  private policy: Policy = {};

  constructor(
    private readonly log?: Logger,
    private readonly options: SupergraphPolicyOptions = {},
  ) {}

  current(): Policy {
    return this.policy;
  }

  schemaChanged(_apiSchema: GraphQLSchema, supergraphSdl: string): void {
    try {
      this.policy = policyOfSupergraph(supergraphSdl, this.options);
    } catch (error) {
      // forGateway checked this supergraph before the gateway saw it; a hook that bypassed it is refused entirely.
      this.policy = {};
      this.log?.error({ err: error }, 'no access policy for the served supergraph: every field is denied');
    }
  }

  close(): void {}
}
