import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { parse, type GraphQLSchema } from 'graphql';
import type { Identity } from '@azora/kit';
import { authorizeOperation } from '../src/auth/authorize';
import { bothPolicies, fixedPolicy } from '../src/auth/live-policy';
import type { Policy } from '../src/auth/policy';
import { loadPolicyFile } from '../src/auth/policy-file';
import {
  apiSchemaOf,
  forGateway,
  gatewaySupergraph,
  policyOfSupergraph,
  SupergraphPolicy,
  SupergraphPolicyError,
} from '../src/auth/supergraph-policy';
import { composeFromConfig, composeSupergraph, CompositionError, requireRootAccess } from '../src/compose';
import { readSupergraphConfig } from '../src/supergraph-config';

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])';

const shop = `${LINK}
type Query {
  catalogue: [Product!]! @policy(policies: [["public"]])
  basket: String @authenticated
  staff: String @policy(policies: [["role:clerk"], ["role:manager"]])
  audit: String @policy(policies: [["role:clerk", "signedInPerson"]])
  stock: String @requiresScopes(scopes: [["stock:read", "stock:write"], ["stock:admin"]])
  people: String @policy(policies: [["person"]])
  vault: Vault @policy(policies: [["public"]])
  undeclared: String
}
type Mutation {
  order: String @policy(policies: [["person"]])
  refund: String
}
type Product @key(fields: "id") {
  id: ID!
  name: String
  cost: String @policy(policies: [["role:manager"]])
}
type Vault @authenticated {
  gold: String
}
`;

const supergraphOf = (typeDefs: string) =>
  composeSupergraph([{ name: 'shop', url: 'http://shop.test/graphql', typeDefs }]).supergraphSdl;
const sdl = supergraphOf(shop);
const schema = apiSchemaOf(sdl);

const anonymous: Identity = { kind: 'anonymous', userId: null, roles: [], scopes: [] };
const user = (roles: string[] = [], scopes: string[] = []): Identity => ({ kind: 'user', userId: 'u', roles, scopes });
const apiKey = (roles: string[] = []): Identity => ({ kind: 'apiKey', userId: 'u', roles, scopes: [] });
const client = (scopes: string[] = []): Identity => ({ kind: 'client', userId: 'c', roles: [], scopes });

/** The operation's outcome under a policy: `ok`, or the refusal's code. */
async function outcome(policy: Policy, query: string, identity: Identity, on: GraphQLSchema = schema) {
  const denied = await authorizeOperation({ schema: on, document: parse(query), policy, identity });
  return denied ? denied.extensions.code : 'ok';
}

describe('the policy a supergraph declares with @authenticated, @requiresScopes and @policy', () => {
  const policy = policyOfSupergraph(sdl);

  it('enforces each directive with its meaning: outer list any of, inner list all of', async () => {
    expect(await outcome(policy, '{ catalogue { id name } }', anonymous)).toBe('ok');
    expect(await outcome(policy, '{ basket }', anonymous)).toBe('UNAUTHENTICATED');
    expect(await outcome(policy, '{ basket }', client())).toBe('ok');
    expect(await outcome(policy, '{ staff }', user(['learner']))).toBe('FORBIDDEN');
    expect(await outcome(policy, '{ staff }', user(['clerk']))).toBe('ok');
    expect(await outcome(policy, '{ staff }', user(['manager']))).toBe('ok');
    expect(await outcome(policy, '{ audit }', user(['clerk']))).toBe('ok');
    expect(await outcome(policy, '{ audit }', apiKey(['clerk']))).toBe('FORBIDDEN');
    expect(await outcome(policy, '{ audit }', user([]))).toBe('FORBIDDEN');
    expect(await outcome(policy, '{ stock }', client(['stock:read']))).toBe('FORBIDDEN');
    expect(await outcome(policy, '{ stock }', client(['stock:read', 'stock:write']))).toBe('ok');
    expect(await outcome(policy, '{ stock }', client(['stock:admin']))).toBe('ok');
    expect(await outcome(policy, '{ stock }', anonymous)).toBe('UNAUTHENTICATED');
    expect(await outcome(policy, '{ people }', apiKey())).toBe('ok');
    expect(await outcome(policy, '{ people }', client())).toBe('FORBIDDEN');
    expect(await outcome(policy, 'mutation { order }', user())).toBe('ok');
  });

  it('names every role of an either-or in its refusal', async () => {
    const denied = await authorizeOperation({ schema, document: parse('{ staff }'), policy, identity: user() });
    expect(denied?.message).toContain('needs the role clerk or manager');
  });

  it('denies a root field without a directive of its own, to everyone', async () => {
    expect(await outcome(policy, '{ undeclared }', user(['admin']))).toBe('FORBIDDEN');
    expect(await outcome(policy, 'mutation { refund }', user(['admin']))).toBe('FORBIDDEN');
  });

  it('allows a field below the root without a directive, and enforces one that has one', async () => {
    expect(await outcome(policy, '{ catalogue { name } }', anonymous)).toBe('ok');
    expect(await outcome(policy, '{ catalogue { cost } }', user(['clerk']))).toBe('FORBIDDEN');
    expect(await outcome(policy, '{ catalogue { cost } }', user(['manager']))).toBe('ok');
  });

  it("applies a type's directive to every field that returns the type, on top of the field's own", async () => {
    expect(await outcome(policy, '{ vault { gold } }', anonymous)).toBe('UNAUTHENTICATED');
    expect(await outcome(policy, '{ vault { gold } }', user())).toBe('ok');
  });

  it('with undeclaredRoots: allow, leaves undeclared root fields to another policy and keeps every directive', async () => {
    const adding = policyOfSupergraph(sdl, { undeclaredRoots: 'allow' });
    expect(await outcome(adding, '{ undeclared }', anonymous)).toBe('ok');
    expect(await outcome(adding, '{ basket }', anonymous)).toBe('UNAUTHENTICATED');
  });

  it('fails naming every unknown policy, so a supergraph the router cannot enforce is never served', () => {
    const unknown = supergraphOf(
      shop
        .replace('[["person"]])\n  vault', '[["persn"]])\n  vault')
        .replace('[["role:manager"]]', '[["role:"]]')
        .replace('refund: String', 'refund: String @policy(policies: [["admin"]])'),
    );
    let error: unknown;
    try {
      policyOfSupergraph(unknown);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SupergraphPolicyError);
    const problems = (error as SupergraphPolicyError).problems;
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Query.people: unknown policy "persn"'),
        expect.stringContaining('Product.cost: unknown policy "role:"'),
        expect.stringContaining('Mutation.refund: unknown policy "admin"'),
      ]),
    );
    expect(() => forGateway(unknown)).toThrow(SupergraphPolicyError);
  });

  it('refuses an empty list, which would allow everyone while counting as a declaration', () => {
    const empty = supergraphOf(
      shop
        .replace('basket: String @authenticated', 'basket: String @policy(policies: [[]])')
        .replace(
          '@requiresScopes(scopes: [["stock:read", "stock:write"], ["stock:admin"]])',
          '@requiresScopes(scopes: [])',
        ),
    );
    let error: unknown;
    try {
      policyOfSupergraph(empty);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SupergraphPolicyError);
    expect((error as SupergraphPolicyError).problems).toEqual([
      expect.stringContaining('Query.basket: @policy with an empty list'),
      expect.stringContaining('Query.stock: @requiresScopes with an empty list'),
    ]);
  });
});

describe('the supergraph the gateway is given', () => {
  it('is the standard one with the `for:` of the three security links dropped, which bare @apollo/gateway accepts', () => {
    expect(() => Supergraph.build(sdl)).toThrow(/is for: SECURITY but is unsupported/);
    const accepted = forGateway(sdl);
    expect(() => Supergraph.build(accepted)).not.toThrow();
    expect(accepted).toContain('@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)');
    expect(accepted).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1")');
    // The directives stay, so the router derives the same policy from what the gateway reports back.
    expect(accepted).toContain('basket: String @authenticated');
  });

  it('still refuses a security feature the router does not enforce', () => {
    const other = sdl.replace(
      '@link(url: "https://specs.apollo.dev/link/v1.0")',
      '@link(url: "https://specs.apollo.dev/link/v1.0")\n  @link(url: "https://specs.apollo.dev/unknown/v0.1", for: SECURITY)',
    );
    expect(() => Supergraph.build(forGateway(other))).toThrow(/unknown\/v0.1 is for: SECURITY but is unsupported/);
  });

  it('leaves a supergraph without security links as it is', () => {
    const plain = supergraphOf('type Query { ping: String }');
    expect(forGateway(plain)).toBe(plain);
  });

  it("is what a hot-reload hook hands the gateway, at first and on each update; an update that fails the check isn't", async () => {
    const updates: string[] = [];
    let update!: (sdl: string) => void;
    const hook: SupergraphSdlHook = async (options) => {
      update = options.update;
      return { supergraphSdl: sdl };
    };
    const wrapped = gatewaySupergraph(hook) as SupergraphSdlHook;
    const loaded = await wrapped({
      update: (next) => updates.push(next),
      healthCheck: async () => undefined,
      getDataSource: () => undefined as never,
    });
    expect(loaded.supergraphSdl).toBe(forGateway(sdl));
    update(sdl);
    expect(updates).toEqual([forGateway(sdl)]);
    expect(() => update(supergraphOf(shop.replace('[["public"]]', '[["nobody"]]')))).toThrow(SupergraphPolicyError);
    expect(updates).toHaveLength(1);
    expect(gatewaySupergraph(sdl)).toBe(forGateway(sdl));
  });
});

describe('the live supergraph policy', () => {
  it('denies everything until a supergraph is loaded, then follows it', async () => {
    const live = new SupergraphPolicy();
    expect(await outcome(live.current(), '{ catalogue { id } }', user(['admin']))).toBe('FORBIDDEN');
    live.schemaChanged(schema, forGateway(sdl));
    expect(await outcome(live.current(), '{ catalogue { id } }', anonymous)).toBe('ok');
    expect(await outcome(live.current(), '{ basket }', anonymous)).toBe('UNAUTHENTICATED');
  });

  it('with a policy file, lets a field through only when both allow it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'azora-policy-both-'));
    try {
      const file = join(dir, 'policy.yaml');
      writeFileSync(file, 'version: 1\ntypes:\n  Query:\n    basket: allow\n    undeclared: allow\n    staff: allow\n');
      const both = bothPolicies(
        new SupergraphPolicy(undefined, { undeclaredRoots: 'allow' }),
        fixedPolicy(loadPolicyFile(file, schema)),
      );
      both.schemaChanged(schema, sdl);
      // The file allows it, the directive asks for a signed-in caller: both hold.
      expect(await outcome(both.current(), '{ basket }', anonymous)).toBe('UNAUTHENTICATED');
      expect(await outcome(both.current(), '{ basket }', user())).toBe('ok');
      expect(await outcome(both.current(), '{ staff }', user())).toBe('FORBIDDEN');
      // No directive: the file decides. The directive allows anyone, the file names nobody: denied.
      expect(await outcome(both.current(), '{ undeclared }', anonymous)).toBe('ok');
      expect(await outcome(both.current(), '{ catalogue { id } }', user(['admin']))).toBe('FORBIDDEN');
      // The same object while neither changes: decisions remembered per policy survive.
      expect(both.current()).toBe(both.current());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('composing the subgraphs of a supergraph.yaml', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'azora-compose-access-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = (schemas: Record<string, string>) => {
    const lines = ['subgraphs:'];
    for (const [name, typeDefs] of Object.entries(schemas)) {
      writeFileSync(join(dir, `${name}.graphql`), typeDefs);
      lines.push(
        `  ${name}:`,
        `    routing_url: http://${name}.test/graphql`,
        `    schema:`,
        `      file: ./${name}.graphql`,
      );
    }
    writeFileSync(join(dir, 'supergraph.yaml'), `${lines.join('\n')}\n`);
    return readSupergraphConfig(join(dir, 'supergraph.yaml'));
  };

  it('fails naming each root field that declares no access', () => {
    const entries = config({
      shop,
      news: `${LINK}\ntype Query { headlines: String }\ntype Subscription { breaking: String }`,
    });
    let error: unknown;
    try {
      composeFromConfig(entries);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CompositionError);
    // The subscription contract's own problem (Subscription.breaking has no lookup) is listed beside these.
    const errors = (error as CompositionError).errors.filter((e) => e.includes('has no access directive'));
    expect(errors.map((e) => e.split(' ')[0]).sort()).toEqual([
      'Mutation.refund',
      'Query.headlines',
      'Query.undeclared',
      'Subscription.breaking',
    ]);
    expect(errors[0]).toContain('has no access directive: add @authenticated, @requiresScopes or @policy');
  });

  it('fails naming each access directive the router could not enforce', () => {
    const entries = config({
      news: `${LINK}\ntype Query { headlines: String @policy(policies: [["editor"]]) }`,
    });
    expect(() => composeFromConfig(entries)).toThrow(/Query\.headlines: unknown policy "editor"/);
  });

  it('composes when every root field declares its access', () => {
    const entries = config({
      news: `${LINK}\ntype Query { headlines: String @policy(policies: [["public"]]) }`,
    });
    expect(() => requireRootAccess(composeFromConfig(entries).supergraphSdl)).not.toThrow();
  });
});
