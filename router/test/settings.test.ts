import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@azora/kit';
import { parseRouterSettings, routerSettingsEnv } from '@azora/router';
import { REPO_ROOT } from '../src/repo-composition';

describe('router settings', () => {
  it('documents every variable in README.md', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const missing = Object.keys(routerSettingsEnv.shape).filter((name) => !readme.includes(`| \`${name}\``));
    expect(missing).toEqual([]);
  });

  it('has safe defaults and lists every problem at once', () => {
    const defaults = parseRouterSettings({});
    expect(defaults.http.batching).toBe(false);
    expect(defaults.rateLimit.enabled).toBe(true);
    expect(defaults.trustedDocuments).toEqual({ mode: 'off', manifestFile: undefined, apq: true });
    let error: unknown;
    try {
      parseRouterSettings({
        AZORA_TRUSTED_DOCUMENTS: 'enforce',
        AZORA_LIMIT_MAX_DEPTH: 'deep',
        AZORA_RATE_LIMIT_CAPACITY: '10',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringContaining('AZORA_LIMIT_MAX_DEPTH'),
      expect.stringContaining('AZORA_TRUSTED_DOCUMENTS_MANIFEST'),
      expect.stringContaining('AZORA_RATE_LIMIT_CAPACITY'),
    ]);
  });

  it('turns APQ off when only trusted documents may run', () => {
    const enforce = parseRouterSettings({
      AZORA_TRUSTED_DOCUMENTS: 'enforce',
      AZORA_TRUSTED_DOCUMENTS_MANIFEST: '/m.json',
    });
    expect(enforce.trustedDocuments).toEqual({ mode: 'enforce', manifestFile: '/m.json', apq: false });
    expect(parseRouterSettings({ AZORA_TRUSTED_DOCUMENTS_MANIFEST: '/m.json' }).trustedDocuments.mode).toBe('allow');
  });
});
