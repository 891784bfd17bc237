import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from '@azora/kit';
import { composeFromConfig } from '../compose';
import { readSupergraphConfig } from '../supergraph-config';

export interface WatchedSupergraphOptions {
  /** Produces the supergraph SDL; throws when it cannot (unreadable file, composition error). */
  load: () => string;
  /** The files whose changes call `load` again; asked again after every load, as a config may list new files. */
  files: () => string[];
  pollMs: number;
  log: Logger;
}

/**
 * A gateway `supergraphSdl` hook that loads the supergraph, then polls files and hands the gateway every new SDL.
 * The gateway swaps schema and query planner between requests: in-flight requests finish on the plan they started
 * with. A load or swap that fails keeps the schema being served and logs why. Polling (fs.watchFile) rather than
 * fs.watch: it sees files replaced by rename (editors, `mv` of a new supergraph into place, ConfigMap updates).
 */
export function watchedSupergraph({ load, files, pollMs, log }: WatchedSupergraphOptions): SupergraphSdlHook {
  return async ({ update }) => {
    let current = load();
    let watched = new Set<string>();
    const onChange = () => {
      let next: string;
      try {
        next = load();
      } catch (error) {
        log.error({ err: error }, 'supergraph reload failed; still serving the previous schema');
        return;
      } finally {
        watch();
      }
      if (next === current) return;
      try {
        update(next);
        current = next;
        log.info('supergraph reloaded');
      } catch (error) {
        log.error({ err: error }, 'new supergraph refused; still serving the previous schema');
      }
    };
    const watch = () => {
      let wanted: Set<string>;
      try {
        wanted = new Set(files());
      } catch {
        return; // keep watching what we watch; the next change retries
      }
      for (const file of watched) if (!wanted.has(file)) unwatchFile(file, onChange);
      for (const file of wanted) if (!watched.has(file)) watchFile(file, { interval: pollMs, persistent: false }, onChange);
      watched = wanted;
    };
    watch();
    return {
      supergraphSdl: current,
      cleanup: async () => {
        for (const file of watched) unwatchFile(file, onChange);
      },
    };
  };
}

/** Production: serve a composed supergraph file; a new file dropped in its place is served next. */
export function supergraphFile(path: string, pollMs: number, log: Logger): SupergraphSdlHook {
  return watchedSupergraph({ load: () => readFileSync(path, 'utf8'), files: () => [path], pollMs, log });
}

/** Development: compose a rover-format supergraph.yaml in-process, again whenever it or a subgraph schema changes. */
export function composedSupergraph(configPath: string, pollMs: number, log: Logger): SupergraphSdlHook {
  return watchedSupergraph({
    load: () => composeFromConfig(readSupergraphConfig(configPath)).supergraphSdl,
    files: () => [configPath, ...readSupergraphConfig(configPath).map((entry) => entry.schemaFile)],
    pollMs,
    log,
  });
}
