import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../router/src/repo-composition';
import { generate, render, staleFiles, writeGenerated } from '../scripts/generate';

const generated = generate(REPO_ROOT);

describe('the files `npm run generate` writes from supergraph.yaml', () => {
  it.each([...generated].map(([path, content]) => [path, content]))(
    '%s is current (run `npm run generate`)',
    (path, content) => {
      expect(readFileSync(join(REPO_ROOT, path), 'utf8')).toBe(content);
    },
  );

  it('leaves no generated file of a subgraph that is gone', () => {
    expect(staleFiles(REPO_ROOT, generated)).toEqual([]);
  });
});

describe('the template renderer', () => {
  it('repeats a section per item, inline or on lines of its own, with the outer values in reach', () => {
    const template =
      'list: [x{{#items}}, {{name}}{{/items}}]\n  {{#items}}\n  - {{name}} of {{owner}}\n  {{/items}}\nend\n';
    expect(render(template, { owner: 'o', items: [{ name: 'a' }, { name: 'b' }] })).toBe(
      'list: [x, a, b]\n  - a of o\n  - b of o\nend\n',
    );
    expect(render(template, { owner: 'o', items: [] })).toBe('list: [x]\nend\n');
  });

  it('refuses a name it has no value for, instead of writing an empty one', () => {
    expect(() => render('port: {{prot}}\n', { port: 1 })).toThrow('{{prot}}');
    expect(() => render('{{#items}}x{{/items}}', { items: 'a' })).toThrow('{{#items}}');
  });
});

describe('a new entry in supergraph.yaml', () => {
  let root: string;
  let files: Map<string, string>;

  beforeAll(() => {
    // A copy of what the generator reads, with a sixth subgraph: one entry, its folder, nothing else. Not `demo`: the
    // issue's check is `npm run new-subgraph demo && npm test`, after which a `demo` is listed already.
    root = mkdtempSync(join(tmpdir(), 'azora-generate-'));
    cpSync(join(REPO_ROOT, 'supergraph.yaml'), join(root, 'supergraph.yaml'));
    cpSync(join(REPO_ROOT, 'scripts', 'templates'), join(root, 'scripts', 'templates'), { recursive: true });
    cpSync(join(REPO_ROOT, 'docker'), join(root, 'docker'), { recursive: true });
    cpSync(join(REPO_ROOT, 'subgraphs'), join(root, 'subgraphs'), {
      recursive: true,
      filter: (source) => !source.includes('node_modules'),
    });
    const gadgets = join(root, 'subgraphs', 'gadgets');
    mkdirSync(join(gadgets, 'src', 'entities'), { recursive: true });
    writeFileSync(
      join(gadgets, 'schema.graphql'),
      '"A gadget." type Gadget @key(fields: "id") { "Its id." id: ID! }\n' +
        '"Entry points." type Query { "One." gadget: Gadget }\n',
    );
    writeFileSync(
      join(gadgets, 'src', 'entities', 'gadget.entity.ts'),
      'export const Gadget = defineEntity({ name: "Gadget" });\nexport const Unrelated = defineEntity({});\n',
    );
    writeFileSync(
      join(gadgets, 'generate.yaml'),
      'autoscaling: { minReplicas: 3, maxReplicas: 9, why: "Because." }\n' +
        'secrets: [{ variable: GADGETS_TOKEN, secret: azora-gadgets-secrets, key: token, requirement: any text }]\n',
    );
    appendFileSync(
      join(root, 'supergraph.yaml'),
      '  gadgets:\n    routing_url: http://127.0.0.1:4011/graphql\n' +
        '    schema:\n      file: ./subgraphs/gadgets/schema.graphql\n',
    );
    files = generate(root);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const file = (path: string) => files.get(path)!;

  it('gets its Kubernetes manifests from the one subgraph template, with its own bounds and Secrets', () => {
    const manifests = parseAllDocuments(file('docker/kubernetes/base/gadgets.yaml')).map((d) => d.toJS());
    expect(manifests.map((m) => `${m.kind} ${m.metadata.name}`)).toEqual([
      'Deployment gadgets',
      'Service gadgets',
      'HorizontalPodAutoscaler gadgets',
      'PodDisruptionBudget gadgets',
    ]);
    const [container] = manifests[0].spec.template.spec.containers;
    expect(container.args).toEqual(['subgraph', 'gadgets']);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 4011 }]);
    expect(container.env).toContainEqual({
      name: 'GADGETS_TOKEN',
      valueFrom: { secretKeyRef: { name: 'azora-gadgets-secrets', key: 'token' } },
    });
    expect(manifests[2].spec).toMatchObject({ minReplicas: 3, maxReplicas: 9 });
    expect(file('docker/kubernetes/base/gadgets.yaml')).toContain('\n# Because.\napiVersion: autoscaling/v2\n');

    const kustomization = parse(file('docker/kubernetes/base/kustomization.yaml'));
    expect(kustomization.resources).toContain('gadgets.yaml');
    const job = parse(file('docker/kubernetes/base/migrate-job.yaml'));
    expect(job.spec.template.spec.containers.map((c: { args: string[] }) => c.args)).toContainEqual([
      'migrate',
      'gadgets',
    ]);
    const [router] = parseAllDocuments(file('docker/kubernetes/base/router.yaml')).map((d) => d.toJS());
    expect(router.spec.template.spec.containers[0].env).toContainEqual({
      name: 'AZORA_SUBGRAPH_GADGETS_URL',
      value: 'http://gadgets:4011/graphql',
    });
  });

  it('gets its Compose service, migration, router URL, scrape target and image manifest', () => {
    const compose = parse(file('docker/compose.yaml'), { merge: true });
    expect(compose.services.gadgets.command).toEqual(['subgraph', 'gadgets']);
    expect(compose.services.gadgets.environment).toMatchObject({
      PORT: '4011',
      GADGETS_TOKEN: '${GADGETS_TOKEN:?set GADGETS_TOKEN (any text)}',
    });
    expect(compose.services.migrate.command.at(-1)).toBe('gadgets');
    expect(compose.services.router.environment.AZORA_SUBGRAPH_GADGETS_URL).toBe('http://gadgets:4011/graphql');
    expect(compose.services.router.depends_on.gadgets).toEqual({ condition: 'service_healthy' });

    const prometheus = parse(file('docker/observability/prometheus.yml'));
    const subgraphTargets = prometheus.scrape_configs.find(
      (j: { job_name: string }) => j.job_name === 'azora-subgraphs',
    );
    expect(subgraphTargets.static_configs).toContainEqual({
      targets: ['gadgets:4011'],
      labels: { subgraph: 'gadgets' },
    });
    expect(file('docker/Dockerfile')).toContain('\nCOPY subgraphs/gadgets/package.json subgraphs/gadgets/\n');
  });

  it('gets its codegen entry, with the entities that name a schema type as mappers', () => {
    const entry = parse(file('codegen.yml')).generates['subgraphs/gadgets/src/generated/resolvers-types.ts'];
    expect(entry.schema).toContain('subgraphs/gadgets/schema.graphql');
    expect(entry.config.contextType).toBe('../schema#Context');
    expect(entry.config.mappers).toEqual({ Gadget: '../entities/gadget.entity#Gadget' });
  });

  it('refuses a generate.yaml key it does not know, or bounds that cannot hold, naming the file', () => {
    const overrides = join(root, 'subgraphs', 'lms', 'generate.yaml');
    const before = readFileSync(overrides, 'utf8');
    writeFileSync(overrides, 'autoscalling: { minReplicas: 3 }\n');
    expect(() => generate(root)).toThrow(/subgraphs\/lms\/generate\.yaml: .*autoscalling/);
    writeFileSync(overrides, 'autoscaling: { minReplicas: 7, maxReplicas: 3 }\n');
    expect(() => generate(root)).toThrow(
      /subgraphs\/lms\/generate\.yaml: autoscaling: minReplicas exceeds maxReplicas/,
    );
    writeFileSync(overrides, before);
  });

  it('refuses a subgraph name that cannot name its Kubernetes objects', () => {
    const config = join(root, 'supergraph.yaml');
    const before = readFileSync(config, 'utf8');
    writeFileSync(config, before.replace('  gadgets:\n', '  gadgets_x:\n'));
    expect(() => generate(root)).toThrow('gadgets_x is not a DNS label');
    writeFileSync(config, before);
  });

  it('removes the generated files of a subgraph taken out again', () => {
    writeGenerated(root);
    writeFileSync(join(root, 'supergraph.yaml'), readFileSync(join(REPO_ROOT, 'supergraph.yaml')));
    expect(staleFiles(root, generate(root))).toEqual(['docker/kubernetes/base/gadgets.yaml']);
    writeGenerated(root);
    expect(existsSync(join(root, 'docker/kubernetes/base/gadgets.yaml'))).toBe(false);
    expect(readFileSync(join(root, 'docker/compose.yaml'), 'utf8')).toBe(generated.get('docker/compose.yaml'));
  });
});
