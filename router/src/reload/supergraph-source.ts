import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from '@azora/kit';
import { composeFromConfig } from '../compose';
import { readSupergraphConfig } from '../supergraph-config';
import { readSettled } from './settled-file';

export interface WatchedSupergraphOptions {
  /** Produces the supergraph SDL; throws when it cannot (unreadable file, composition error). */
  load: () => string;
  /** The files `load` reads, whose changes call it again; asked again every time, as a config may list new files. */
  files: () => string[];
  pollMs: number;
  log: Logger;
}

/**
 * A gateway `supergraphSdl` hook that loads the supergraph, then polls files and hands the gateway every new SDL.
 * The gateway swaps schema and query planner between requests: in-flight requests finish on the plan they started
 * with. A load or swap that fails keeps the schema being served and logs why. Polling (fs.watchFile) rather than
 * fs.watch: it sees files replaced by rename (editors, `mv` of a new supergraph into place, ConfigMap updates).
 * A reload waits until the files have settled and did not change while loaded (as a policy file does): a supergraph
 * or subgraph schema caught half-written could still compose, and a smaller schema would be served.
 */
export function watchedSupergraph({ load, files, pollMs, log }: WatchedSupergraphOptions): SupergraphSdlHook {
  return async ({ update }) => {
    let current = load();
    let watched = new Set<string>();
    /** A reload waiting for the files to settle. */
    let waiting: NodeJS.Timeout | undefined;
    const onChange = () => {
      clearTimeout(waiting);
      let next: string | undefined;
      try {
        next = readSettled(files(), pollMs, load);
      } catch (error) {
        log.error({ err: error }, 'supergraph reload failed; still serving the previous schema');
        return;
      } finally {
        watch();
      }
      if (next === undefined) {
        waiting = setTimeout(onChange, pollMs).unref();
        return;
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
      for (const file of wanted)
        if (!watched.has(file)) watchFile(file, { interval: pollMs, persistent: false }, onChange);
      watched = wanted;
    };
    watch();
    return {
      supergraphSdl: current,
      cleanup: async () => {
        clearTimeout(waiting);
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
