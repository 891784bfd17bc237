import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, type DocumentNode } from 'graphql';
import { parse as parseYaml } from 'yaml';
import * as sdk from '@azora/sdk';
import { REPO_ROOT } from '../router/src/repo-composition';

/** Runs codegen in memory (in its own Node process: the CLI is partly ESM, which jest's module system cannot load). */
function generateInMemory(): { filename: string; content: string }[] {
  const script = `
    const codegen = require('@graphql-codegen/cli');
    codegen.loadCodegenConfig({ configFilePath: 'codegen.yml' })
      .then(({ config }) => codegen.generate({ ...config, cwd: process.cwd(), silent: true }, false))
      .then((outputs) => process.stdout.write(JSON.stringify(outputs.map(({ filename, content }) => ({ filename, content })))))
      .catch((error) => { console.error(error); process.exit(1); });`;
  return JSON.parse(
    execFileSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 }),
  );
}

const SDK_OUTPUT = 'clients/sdk/src/generated/';
const OPERATIONS_DIR = join(REPO_ROOT, 'clients', 'sdk', 'operations');
const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const operationNames = (document: DocumentNode) =>
  document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION && d.name ? [d.name.value] : []));

describe('generated code', () => {
  let outputs: { filename: string; content: string }[];
  beforeAll(() => {
    outputs = generateInMemory();
  });

  it('matches what `npm run codegen` produces from the current schemas and operations', () => {
    expect(outputs.length).toBeGreaterThan(0);
    const stale = outputs
      .filter((o) => readFileSync(join(REPO_ROOT, o.filename), 'utf8') !== o.content)
      .map((o) => o.filename);
    expect(stale).toEqual([]);
  });

  describe('@azora/sdk', () => {
    const codegen = parseYaml(readFileSync(join(REPO_ROOT, 'codegen.yml'), 'utf8'));
    const excluded: string[] = (codegen.generates[SDK_OUTPUT].documents as string[])
      .filter((pattern) => pattern.startsWith('!'))
      .map((pattern) => pattern.slice(1));
    const generatedOperationFiles = readdirSync(OPERATIONS_DIR)
      .filter((file) => file.endsWith('.graphql'))
      .map((file) => `clients/sdk/operations/${file}`)
      .filter((file) => !excluded.includes(file));

    it('types every operation in clients/sdk/operations and writes the manifest of their exact texts', () => {
      const files = outputs
        .filter((o) => o.filename.startsWith(SDK_OUTPUT))
        .map((o) => o.filename.slice(SDK_OUTPUT.length));
      expect(files).toEqual(expect.arrayContaining(['graphql.ts', 'persisted-documents.json']));
      const manifest: Record<string, string> = JSON.parse(
        outputs.find((o) => o.filename === `${SDK_OUTPUT}persisted-documents.json`)!.content,
      );

      // The router checks each id against the sha256 of its text (router trusted documents), so they must agree.
      for (const [id, text] of Object.entries(manifest)) expect({ id, text }).toEqual({ id: sha256(text), text });
      const written = generatedOperationFiles.flatMap((file) =>
        operationNames(parse(readFileSync(join(REPO_ROOT, file), 'utf8'))),
      );
      const inManifest = Object.values(manifest).flatMap((text) => operationNames(parse(text)));
      expect(inManifest.sort()).toEqual(written.sort());
      expect(written.length).toBeGreaterThanOrEqual(15);
    });

    it('gives every exported operation document its manifest id, so the SDK sends the trusted text', () => {
      const documents = Object.entries(sdk).filter(([name, value]) => /^[A-Z]\w*Document$/.test(name) && value) as [
        string,
        DocumentNode,
      ][];
      const operations = documents.filter(([, document]) => operationNames(document).length > 0);
      expect(operations.length).toBe(Object.keys(sdk.persistedDocuments).length);
      for (const [name, document] of operations) {
        const id = sdk.persistedDocumentId(document);
        expect({ name, id }).toEqual({ name, id: expect.any(String) });
        expect(sha256(sdk.documentText(document))).toBe(id);
      }
    });

    it('types every operation document, subscriptions included (none is left out of codegen)', () => {
      expect(excluded).toEqual([]);
    });
  });
});
