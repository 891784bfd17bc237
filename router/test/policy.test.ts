import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, isObjectType } from 'graphql';
import { permissionTable, TABLE_END, TABLE_START } from '../src/auth/permission-table';
import { ruleFor } from '../src/auth/authorize';
import { azoraPolicy } from '../src/auth/policy';
import { deny } from '../src/auth/rules';
import { API_SCHEMA_FILE, REPO_ROOT } from '../src/repo-composition';

const schema = buildSchema(readFileSync(API_SCHEMA_FILE, 'utf8'));
const objectTypes = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && !t.name.startsWith('__'));

describe('the rule tree', () => {
  it('has an explicit rule for every field of the composed API schema', () => {
    const missing = objectTypes.flatMap((type) =>
      Object.keys((type as any).getFields())
        .filter((field) => !azoraPolicy[type.name]?.[field])
        .map((field) => `${type.name}.${field}`),
    );
    expect(missing).toEqual([]);
  });

  it('names no type or field that does not exist (a stale rule hides a renamed field)', () => {
    const stale = Object.entries(azoraPolicy).flatMap(([typeName, fields]) => {
      const type = schema.getType(typeName);
      if (!type || !isObjectType(type)) return [typeName];
      return Object.keys(fields)
        .filter((field) => !type.getFields()[field])
        .map((field) => `${typeName}.${field}`);
    });
    expect(stale).toEqual([]);
  });

  it('is documented in the README by a table generated from it (run `npm run docs:permissions`)', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    expect(start).toBeGreaterThan(-1);
    expect(readme.slice(start + TABLE_START.length, end).trim()).toBe(await permissionTable(schema, azoraPolicy));
  });
});

describe('ruleFor', () => {
  it("finds only a policy's own entries: a field named like an Object method is denied, not resolved to the method", () => {
    expect(ruleFor(azoraPolicy, 'Query', 'constructor')).toBe(deny);
    expect(ruleFor(azoraPolicy, 'Query', 'toString')).toBe(deny);
    expect(ruleFor({ Query: { '*': azoraPolicy.Query!.me! } }, 'Query', 'anything')).toBe(azoraPolicy.Query!.me);
  });
});
