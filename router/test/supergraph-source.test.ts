import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@azora/kit';
import { until } from '@azora/testing';
import { supergraphFile } from '../src/reload/supergraph-source';

describe('a watched supergraph file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'azora-supergraph-reload-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is not handed to the gateway while it is still being written, only once it has settled', async () => {
    const file = join(dir, 'supergraph.graphql');
    writeFileSync(file, 'the served supergraph\n');
    const updates: string[] = [];
    const hook = supergraphFile(file, 200, createLogger('test', 'silent'));
    const { supergraphSdl, cleanup } = await hook({
      update: (sdl) => updates.push(sdl),
      healthCheck: async () => undefined,
      getDataSource: () => {
        throw new Error('not used');
      },
    });
    try {
      expect(supergraphSdl).toBe('the served supergraph\n');
      // A writer that truncates, then writes for 600 ms, three poll intervals: each poll sees a file still changing.
      writeFileSync(file, '');
      let whole = '';
      for (let line = 0; line < 60; line++) {
        const text = `line ${line}\n`;
        appendFileSync(file, text);
        whole += text;
        await new Promise((r) => setTimeout(r, 10));
      }
      await until('the new supergraph is handed over', () => updates.length > 0);
      expect(updates).toEqual([whole]);
    } finally {
      await cleanup?.();
    }
  });
});
