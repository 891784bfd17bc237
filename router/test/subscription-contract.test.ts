import { generateKeyPairSync } from 'node:crypto';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { captureLogs } from '@azora/testing';
import { composeSupergraph, CompositionError } from '../src/compose';
import { startRouter } from '../src/router';
import { subscriptionContract, SubscriptionContractError } from '../src/subscriptions/routing';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])';

/** A subgraph with three subscription fields: one resolvable, one without any lookup, one whose lookup takes no id. */
const BEACONS = {
  name: 'beacons',
  url: 'http://127.0.0.1:1/graphql',
  typeDefs: `${LINK}
    type Beacon @key(fields: "id") { id: ID! }
    type Flare { id: ID! }
    type Signal { id: ID! }
    type Query {
      beacon(id: ID!): Beacon
      signal(code: String!): Signal
    }
    type Subscription {
      beaconLit: Beacon!
      flareFired: Flare!
      signalSent: Signal!
    }`,
};

/** Composition alone, without the router's check: what a supergraph composed by other tools may hold. */
function composedWithoutCheck(subgraphs: (typeof BEACONS)[]) {
  const result = composeServices(subgraphs.map((s) => ({ ...s, typeDefs: parse(s.typeDefs) })));
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return { supergraphSdl: result.supergraphSdl, apiSchema: result.schema.toAPISchema().toGraphQLJSSchema() };
}

describe('the subscription contract', () => {
  it('routes a resolvable field and names every field that has no way to be resolved', () => {
    const { supergraphSdl, apiSchema } = composedWithoutCheck([BEACONS]);
    const { routes, violations } = subscriptionContract(supergraphSdl, apiSchema);
    expect([...routes]).toEqual([['beaconLit', { subgraph: 'beacons', lookupField: 'beacon' }]]);
    expect(violations).toEqual([
      'Subscription.flareFired: no Query field takes `id: ID!` and returns Flare',
      'Subscription.signalSent: no Query field takes `id: ID!` and returns Signal',
    ]);
  });

  it('finds nothing to object to in a supergraph whose every subscription field has a lookup', () => {
    const resolvable = {
      ...BEACONS,
      typeDefs: `${LINK}
        type Beacon @key(fields: "id") { id: ID! }
        type Query { beacon(id: ID!): Beacon }
        type Subscription { beaconLit: Beacon! }`,
    };
    const { supergraphSdl, apiSchema } = composedWithoutCheck([resolvable]);
    expect(subscriptionContract(supergraphSdl, apiSchema).violations).toEqual([]);
    expect(() => composeSupergraph([resolvable])).not.toThrow();
  });

  it('refuses two possible lookups: which one would read the deliveries must not depend on field order', () => {
    const ambiguous = {
      ...BEACONS,
      typeDefs: `${LINK}
        type Beacon @key(fields: "id") { id: ID! }
        type Query { beaconForAdmins(id: ID!): Beacon beacon(id: ID!): Beacon }
        type Subscription { beaconLit: Beacon! }`,
    };
    const { supergraphSdl, apiSchema } = composedWithoutCheck([ambiguous]);
    const { routes, violations } = subscriptionContract(supergraphSdl, apiSchema);
    expect(routes.size).toBe(0);
    expect(violations).toEqual([
      'Subscription.beaconLit: more than one Query field takes `id: ID!` and returns Beacon (Query.beaconForAdmins, Query.beacon)',
    ]);
  });

  it('fails composition naming each unresolvable subscription field', () => {
    const composing = () => composeSupergraph([BEACONS]);
    expect(composing).toThrow(CompositionError);
    expect(composing).toThrow(/Subscription\.flareFired.*\n.*Subscription\.signalSent/);
  });

  it("fails the router's start-up naming each unresolvable subscription field", async () => {
    const { supergraphSdl } = composedWithoutCheck([BEACONS]);
    const starting = startRouter({
      supergraphSdl,
      nodeEnv: 'test',
      logger: captureLogs('fatal').loggerFor('router'),
      auth: {
        privateKey: generateKeyPairSync('ed25519').privateKey,
        issuer: 'http://azora.test',
        audience: 'azora',
      },
    });
    await expect(starting).rejects.toBeInstanceOf(SubscriptionContractError);
    await expect(starting).rejects.toThrow(/Subscription\.flareFired[^\n]*\n[^\n]*Subscription\.signalSent/);
  });
});
