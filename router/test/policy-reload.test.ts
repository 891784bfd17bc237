import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { createLogger } from '@azora/kit';
import { captureLogs, until } from '@azora/testing';
import { allow } from '../src/auth/rules';
import { loadPolicyFile, WatchedPolicyFile } from '../src/auth/policy-file';
import { ruleFor } from '../src/auth/authorize';

const schema = buildSchema('type Query { ping: String, secret: String }');
// Half-way through writing the restricted file, the text so far is a valid policy that opens everything.
const HALF_WRITTEN = 'version: 1\ntypes:\n  Query:\n    "*": allow\n';
const WHOLE = `${HALF_WRITTEN}    secret: deny\n`;

describe('a watched policy file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'azora-policy-reload-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is not read while it is still being written, so a half-written file never opens what the whole one closes', async () => {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, WHOLE);
    const logs = captureLogs('info');
    const watched = new WatchedPolicyFile(file, loadPolicyFile(file, schema), logs.loggerFor('router'), 200);
    try {
      writeFileSync(file, HALF_WRITTEN);
      watched.schemaChanged(schema); // a reload asked for while the file has only just changed
      const seen = new Set<unknown>();
      let finished = false;
      // The writer finishes a moment later (an editor's second write), while the reload waits for the file to settle.
      setImmediate(() => {
        writeFileSync(file, WHOLE);
        finished = true;
      });
      // Sampled until the watcher reports the reload it was asked for: it must never have served the half.
      await until('the settled file is reloaded', () => {
        seen.add(ruleFor(watched.current(), 'Query', 'secret') === allow ? 'open' : 'closed');
        return finished && logs.lines.some((l) => l.msg === 'permission policy reloaded');
      });
      expect([...seen]).toEqual(['closed']);
      expect(ruleFor(watched.current(), 'Query', 'ping')).toBe(allow);
    } finally {
      watched.close();
    }
  });

  it('takes a settled edit, and keeps the policy in force when the file goes missing', async () => {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'version: 1\ntypes:\n  Query:\n    secret: deny\n');
    const watched = new WatchedPolicyFile(file, loadPolicyFile(file, schema), createLogger('test', 'silent'), 50);
    try {
      watched.schemaChanged(schema);
      expect(ruleFor(watched.current(), 'Query', 'ping')).not.toBe(allow);
      writeFileSync(file, 'version: 1\ntypes:\n  Query:\n    ping: allow\n    secret: deny\n');
      await until('the edit is in force', () => ruleFor(watched.current(), 'Query', 'ping') === allow, 5000);
      const inForce = watched.current();
      rmSync(file);
      watched.schemaChanged(schema);
      expect(watched.current()).toBe(inForce);
    } finally {
      watched.close();
    }
  });
});
