import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../router/src/repo-composition';

/** Starts a service the way production does, with the given environment only, and returns what it said. */
function start(entry: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH!, NODE_ENV: 'production', LOG_LEVEL: 'info', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// No secret has a default in production mode: each process refuses to start and lists every missing setting.
describe('production mode without secrets', () => {
  it('the router refuses to start without its signing key', () => {
    const { status, output } = start('router/src/main.ts', {});
    expect(status).toBe(1);
    expect(output).toContain('AZORA_ROUTER_PRIVATE_KEY');
    expect(output).toContain('AZORA_ISSUER: required in production mode');
  });

  it('Aegis refuses to start without its secrets, its database, the event bus and the router key, listing them all', () => {
    const { status, output } = start('subgraphs/aegis/src/index.ts', {});
    expect(status).toBe(1);
    for (const name of [
      'AZORA_ROUTER_PUBLIC_KEY',
      'DATABASE_URL',
      'AZORA_REDIS_URL',
      'AEGIS_KEY_ENCRYPTION_SECRET',
      'AEGIS_SECRET_PEPPER',
      'AZORA_ISSUER',
    ]) {
      expect(output).toContain(name);
    }
  });
});
