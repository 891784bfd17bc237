import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { permissionTable, TABLE_END, TABLE_START } from '../src/auth/permission-table';
import { ruleFor } from '../src/auth/authorize';
import { policyOfSupergraph, rootFieldsWithoutAccess } from '../src/auth/supergraph-policy';
import { allow, authenticated, deny } from '../src/auth/rules';
import { API_SCHEMA_FILE, REPO_ROOT, SUPERGRAPH_FILE } from '../src/repo-composition';
import { policyAnswers } from './policy-answers';

const schema = buildSchema(readFileSync(API_SCHEMA_FILE, 'utf8'));
const supergraph = readFileSync(SUPERGRAPH_FILE, 'utf8');
const policy = policyOfSupergraph(supergraph);
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe("Azora's policy, derived from the access directives in the subgraphs' SDL", () => {
  it('has an access directive on every root field of the composed API schema', () => {
    expect(rootFieldsWithoutAccess(supergraph)).toEqual([]);
  });

  it('means what the hand-written rule tree it replaced meant, for every field and every kind of caller', async () => {
    expect(await policyAnswers(schema, policy)).toEqual(JSON.parse(fixture('permissions-rule-tree.json')));
  });

  it('is documented in the README by a table generated from it (run `npm run docs:permissions`)', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    expect(start).toBeGreaterThan(-1);
    const table = await permissionTable(schema, policy);
    expect(readme.slice(start + TABLE_START.length, end).trim()).toBe(table);
    // The table the rule tree generated, before the directives replaced it: unchanged in meaning, and in text.
    expect(table).toBe(fixture('permissions-rule-tree.md').trim());
  });
});

describe('ruleFor', () => {
  it("finds only a policy's own entries: a field named like an Object method is denied, not resolved to the method", () => {
    expect(ruleFor(policy, 'Query', 'constructor')).toBe(deny);
    expect(ruleFor(policy, 'Query', 'toString')).toBe(deny);
    expect(ruleFor({ Query: { '*': authenticated } }, 'Query', 'anything')).toBe(authenticated);
    expect(ruleFor({ Query: {} }, 'Query', 'anything')).toBe(deny);
    expect(ruleFor({}, '__Schema', 'types')).toBe(allow);
  });
});
