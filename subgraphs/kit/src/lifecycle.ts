import type { Logger } from './logger';

/**
 * Graceful shutdown for a service process: on SIGTERM or SIGINT run `stop` (drain HTTP, close the database, flush
 * spans), then exit 0, or 1 when stopping failed.
 */
export function stopOnSignals(log: Logger, stop: () => Promise<unknown>): void {
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
