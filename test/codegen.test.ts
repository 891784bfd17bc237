import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../router/src/repo-composition';

/** Runs codegen in memory (in its own Node process: the CLI is partly ESM, which jest's module system cannot load). */
function generateInMemory(): { filename: string; content: string }[] {
  const script = `
    const codegen = require('@graphql-codegen/cli');
    codegen.loadCodegenConfig({ configFilePath: 'codegen.yml' })
      .then(({ config }) => codegen.generate({ ...config, cwd: process.cwd(), silent: true }, false))
      .then((outputs) => process.stdout.write(JSON.stringify(outputs.map(({ filename, content }) => ({ filename, content })))))
      .catch((error) => { console.error(error); process.exit(1); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 }));
}

describe('generated code', () => {
  it('matches what `npm run codegen` produces from the current schemas', () => {
    const outputs = generateInMemory();
    expect(outputs.length).toBeGreaterThan(0);
    const stale = outputs.filter((o) => readFileSync(join(REPO_ROOT, o.filename), 'utf8') !== o.content).map((o) => o.filename);
    expect(stale).toEqual([]);
  });
});
