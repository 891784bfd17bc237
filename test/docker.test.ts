import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT, SUPERGRAPH_CONFIG } from '../router/src/repo-composition';
import { readSupergraphConfig, subgraphUrlVariable } from '../router/src/supergraph-config';
import { SECRET_KEY } from '@azora/kit';
import { interpolateCompose, startupProblemsOf } from '@azora/testing';

// Docker cannot run on these machines, so the compose file is checked against supergraph.yaml instead.
const compose = parse(readFileSync(join(REPO_ROOT, 'docker', 'compose.yaml'), 'utf8'), { merge: true });
const subgraphs = readSupergraphConfig(SUPERGRAPH_CONFIG);
const dockerfile = readFileSync(join(REPO_ROOT, 'docker', 'Dockerfile'), 'utf8');

describe('docker/compose.yaml', () => {
  it.each(subgraphs.map((s) => [s.name]))(
    'runs subgraph %s on its own PostgreSQL database in production mode',
    (name) => {
      const service = compose.services[name];
      expect(service).toBeDefined();
      expect(service.command).toEqual(['subgraph', name]);
      expect(service.environment.NODE_ENV).toBe('production');
      expect(service.environment.PORT).toMatch(/^\d+$/);
      expect(service.environment.DATABASE_URL).toMatch(new RegExp(`^postgres://.*@postgres:5432/azora_${name}$`));
      expect(service.environment.DATABASE_URL).toContain('${POSTGRES_PASSWORD:?'); // no committed password
      expect(service.healthcheck.test.join(' ')).toContain(`:${service.environment.PORT}/ready`);
      // Migrated once by the `migrate` job, before it starts, never by the (possibly many) service processes.
      expect(service.depends_on).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
      });
      // Each subgraph is a process of its own: its events travel over the shared Redis bus.
      expect(service.environment.AZORA_REDIS_URL).toBe('redis://redis:6379');
      expect(service.environment.AZORA_MIGRATE_ON_START).toBe('false');
    },
  );

  it('migrates every subgraph, in the very databases the subgraphs use, before they start', () => {
    const migrate = compose.services.migrate;
    expect(migrate.restart).toBe('no');
    expect(migrate.depends_on.postgres).toEqual({ condition: 'service_healthy' });
    for (const { name } of subgraphs) {
      expect(`${migrate.environment.AZORA_DATABASE_URL}/azora_${name}`).toBe(
        compose.services[name].environment.DATABASE_URL,
      );
    }
  });

  it('installs from every workspace package manifest and from nothing else', () => {
    // `npm ci` needs every workspace's package.json; copying only those keeps its layer cached until one changes.
    const manifestsStage = dockerfile.slice(0, dockerfile.indexOf('\nFROM ', dockerfile.indexOf('AS manifests')));
    const copied = [...manifestsStage.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    const workspaces: string[] = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).workspaces;
    const packages = workspaces.flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(join(REPO_ROOT, pattern.slice(0, -2)))
            .map((dir) => `${pattern.slice(0, -1)}${dir}`)
            .filter((dir) => existsSync(join(REPO_ROOT, dir, 'package.json')))
        : [pattern],
    );
    expect(copied.sort()).toEqual(
      ['package.json', 'package-lock.json', ...packages.map((p) => `${p}/package.json`)].sort(),
    );
  });

  it('runs Node 24 LTS in every stage of the image', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!).filter((b) => b.startsWith('node:'));
    expect(bases.length).toBeGreaterThanOrEqual(3);
    for (const base of bases) expect(base).toMatch(/^node:24-/);
  });

  it('runs Prometheus and Grafana on the files in docker/observability, with no default password', () => {
    const mounts = [...compose.services.prometheus.volumes, ...compose.services.grafana.volumes]
      .map((volume: string) => volume.split(':')[0]!)
      .filter((source: string) => source.startsWith('.'));
    expect(mounts.length).toBeGreaterThanOrEqual(4);
    for (const source of mounts) expect(existsSync(resolve(REPO_ROOT, 'docker', source))).toBe(true);
    expect(compose.services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
  });

  it.each(['router', ...subgraphs.map((s) => s.name)].map((n) => [n]))(
    'gives %s everything its production start-up checks require, secrets only from the operator',
    (name) => {
      const environment = compose.services[name].environment as Record<string, string>;
      expect(startupProblemsOf(name, interpolateCompose(environment))).toEqual([]);
      for (const [variable, value] of Object.entries(environment)) {
        if (SECRET_KEY.test(variable))
          expect({ variable, value }).toEqual({ variable, value: expect.stringMatching(/^\$\{[A-Z0-9_]+:\?/) });
      }
    },
  );

  it('points the router at every subgraph and waits for them', () => {
    const router = compose.services.router;
    for (const { name } of subgraphs) {
      const port = compose.services[name].environment.PORT;
      expect(router.environment[subgraphUrlVariable(name)]).toBe(`http://${name}:${port}/graphql`);
      expect(router.depends_on[name]).toEqual({ condition: 'service_healthy' });
    }
    expect(router.environment.NODE_ENV).toBe('production');
    expect(compose.services.redis).toBeDefined();
  });
});
