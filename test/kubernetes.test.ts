import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { parse, parseAllDocuments } from 'yaml';
import { SECRET_KEY } from '@azora/kit';
import { REPO_ROOT, SUPERGRAPH_CONFIG } from '../router/src/repo-composition';
import { OPERATOR_VALUE, startupProblemsOf } from '@azora/testing';
import { readSupergraphConfig, subgraphUrlVariable } from '../router/src/supergraph-config';

// No cluster runs here: every manifest is validated offline against the Kubernetes API schemas (kubernetes-models),
// and the platform's own rules are checked against supergraph.yaml.
const KUBERNETES = join(REPO_ROOT, 'docker', 'kubernetes');
const MODELS: Record<string, { new (data: any): { validate(): void } }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; [key: string]: any };

const kustomization = (dir: string) => parse(readFileSync(join(KUBERNETES, dir, 'kustomization.yaml'), 'utf8'));
const base = kustomization('base');
const manifests: Manifest[] = base.resources.flatMap((file: string) =>
  parseAllDocuments(readFileSync(join(KUBERNETES, 'base', file), 'utf8')).map((doc) => doc.toJS() as Manifest),
);
const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);
const overlays = ['production', 'staging'];
const subgraphs = readSupergraphConfig(SUPERGRAPH_CONFIG).map((s) => ({
  name: s.name,
  port: Number(new URL(s.url).port),
}));

function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model)
    throw new Error(
      `${manifest.kind} ${manifest.metadata.name}: no schema for ${manifest.apiVersion}/${manifest.kind}`,
    );
  new Model(manifest).validate();
}

const containersOf = (manifest: Manifest): any[] => manifest.spec.template.spec.containers;
const envOf = (container: any, name: string) => (container.env ?? []).find((e: { name: string }) => e.name === name);

describe('Kubernetes manifests (docker/kubernetes)', () => {
  it.each(manifests.map((m) => [`${m.kind} ${m.metadata.name}`, m]))(
    '%s is valid against the Kubernetes schema',
    (_name, manifest) => {
      expect(() => validate(manifest)).not.toThrow();
    },
  );

  it('lists only files that exist, and every overlay builds on the base', () => {
    for (const generator of base.configMapGenerator)
      for (const file of generator.files ?? []) expect(existsSync(join(KUBERNETES, 'base', file))).toBe(true);
    for (const overlay of overlays) {
      const k = kustomization(join('overlays', overlay));
      expect(k.resources).toEqual(['../../base']);
      expect(k.namespace).toMatch(/^azora/);
      expect(k.images.map((i: { name: string }) => i.name)).toEqual(['azora']);
      for (const generator of k.configMapGenerator ?? []) {
        expect(base.configMapGenerator.map((g: { name: string }) => g.name)).toContain(generator.name);
        expect(generator.behavior).toBe('merge');
      }
    }
  });

  it.each(overlays)('the %s overlay patches existing resources into valid ones', (overlay) => {
    for (const { target, patch } of kustomization(join('overlays', overlay)).patches ?? []) {
      const targets = manifests.filter(
        (m) => m.kind === target.kind && (!target.name || m.metadata.name === target.name),
      );
      expect(targets.length).toBeGreaterThan(0);
      for (const manifest of targets) {
        const patched = structuredClone(manifest);
        for (const op of parse(patch)) {
          // The overlays only replace values; a replace must find what it replaces, or kustomize fails.
          expect(op.op).toBe('replace');
          const keys = op.path.split('/').slice(1);
          const parent = keys.slice(0, -1).reduce((node: any, key: string) => node?.[key], patched);
          expect(parent?.[keys.at(-1)!]).toBeDefined();
          parent[keys.at(-1)!] = op.value;
        }
        expect(() => validate(patched)).not.toThrow();
      }
    }
  });

  it.each(subgraphs.map((s) => [s.name, s]))(
    'runs subgraph %s: Deployment, Service, probes, its own database Secret, migration',
    (name, { port }) => {
      const deployment = find('Deployment', name)!;
      expect(deployment).toBeDefined();
      const [container, ...others] = containersOf(deployment);
      expect(others).toEqual([]);
      expect(container.args).toEqual(['subgraph', name]);
      expect(container.image).toBe('azora');
      expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
      expect(envOf(container, 'PORT').value).toBe(String(port));
      expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'azora-env' } }]);
      const database = { secretKeyRef: { name: `azora-${name}-database`, key: 'url' } };
      expect(envOf(container, 'DATABASE_URL')).toEqual({ name: 'DATABASE_URL', valueFrom: database });
      // The shared event bus; required (not optional): a subgraph pod alone cannot deliver its events otherwise.
      expect(envOf(container, 'AZORA_REDIS_URL')).toEqual({
        name: 'AZORA_REDIS_URL',
        valueFrom: { secretKeyRef: { name: 'azora-redis', key: 'url' } },
      });

      const podLabels = deployment.spec.template.metadata.labels;
      expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
      expect(podLabels).toMatchObject(deployment.spec.selector.matchLabels);
      expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(port));

      const service = find('Service', name)!;
      expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
      expect(service.spec.ports).toEqual([{ name: 'http', port, targetPort: 'http' }]);
      expect(find('PodDisruptionBudget', name)?.spec.selector.matchLabels).toEqual(
        deployment.spec.selector.matchLabels,
      );

      const migration = containersOf(find('Job', 'azora-migrate')!).find((c) => c.name === name);
      expect(migration.args).toEqual(['migrate', name]);
      expect(envOf(migration, 'DATABASE_URL').valueFrom).toEqual(database);
      expect(migration.envFrom).toEqual(container.envFrom);

      const router = containersOf(find('Deployment', 'router')!)[0];
      expect(envOf(router, subgraphUrlVariable(name)).value).toBe(`http://${name}:${port}/graphql`);
    },
  );

  it('runs the router on the supergraph from its ConfigMap, with probes, an autoscaler and a disruption budget', () => {
    const deployment = find('Deployment', 'router')!;
    const [container] = containersOf(deployment);
    expect(container.args).toEqual(['router']);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    const file = envOf(container, 'AZORA_SUPERGRAPH_FILE').value;
    const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === posix.dirname(file));
    const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
    const supergraph = base.configMapGenerator.find((g: { name: string }) => g.name === volume.configMap.name);
    expect(supergraph.files).toContain(posix.basename(file));
    expect(find('Service', 'router')).toBeDefined();
    expect(find('HorizontalPodAutoscaler', 'router')).toBeDefined();
    expect(find('PodDisruptionBudget', 'router')).toBeDefined();
  });

  it('scales with autoscalers that own the replica count of existing Deployments', () => {
    const autoscalers = manifests.filter((m) => m.kind === 'HorizontalPodAutoscaler');
    expect(autoscalers.length).toBeGreaterThanOrEqual(2); // the router and the busiest subgraphs
    for (const hpa of autoscalers) {
      const deployment = find('Deployment', hpa.spec.scaleTargetRef.name)!;
      expect(deployment).toBeDefined();
      // A fixed count in the Deployment would be reset on every apply, fighting the autoscaler.
      expect(deployment.spec.replicas).toBeUndefined();
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    }
  });

  it.each(['router', ...subgraphs.map((s) => s.name)].map((n) => [n]))(
    'gives %s everything its production start-up checks require',
    (name) => {
      const literals = (base.configMapGenerator as { literals?: string[] }[]).flatMap((g) => g.literals ?? []);
      const container = containersOf(find('Deployment', name)!)[0];
      const env: Record<string, string> = Object.fromEntries(
        literals.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      for (const variable of container.env ?? []) {
        // A Secret or ConfigMap reference is filled in by the cluster; an optional one may be absent.
        if (variable.valueFrom?.secretKeyRef?.optional) continue;
        env[variable.name] =
          variable.value ?? (variable.name.endsWith('URL') ? 'postgres://azora:x@db:5432/azora' : OPERATOR_VALUE);
      }
      expect(startupProblemsOf(name, env)).toEqual([]);
    },
  );

  it('references Secrets and never inlines one', () => {
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    for (const manifest of manifests.filter((m) => m.spec?.template)) {
      for (const container of containersOf(manifest)) {
        for (const variable of container.env ?? []) {
          if (
            /URL$/.test(variable.name) &&
            !variable.name.startsWith('AZORA_SUBGRAPH_') &&
            variable.name !== 'AZORA_SUPERGRAPH_FILE'
          ) {
            expect(variable.valueFrom?.secretKeyRef).toBeDefined();
          }
          if (SECRET_KEY.test(variable.name)) expect(variable.value).toBeUndefined();
        }
      }
    }
    const literals: string[] = [base, ...overlays.map((o) => kustomization(join('overlays', o)))]
      .flatMap((k) => k.configMapGenerator ?? [])
      .flatMap((g: { literals?: string[] }) => g.literals ?? []);
    for (const literal of literals) expect(literal).not.toMatch(/^[^=]*(PASSWORD|SECRET|TOKEN|DATABASE_URL)/i);
    expect(literals).toContain('AZORA_MIGRATE_ON_START=false');
  });
});
