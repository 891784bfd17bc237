import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startPlatform, type Platform } from '@azora/testing';
import { REPO_ROOT, SUPERGRAPH_CONFIG } from '../router/src/repo-composition';
import { readSupergraphConfig } from '../router/src/supergraph-config';

const OBSERVABILITY = join(REPO_ROOT, 'docker', 'observability');
const subgraphs = readSupergraphConfig(SUPERGRAPH_CONFIG).map((s) => s.name);
const compose = parse(readFileSync(join(REPO_ROOT, 'docker', 'compose.yaml'), 'utf8'), { merge: true });
const prometheus = parse(readFileSync(join(OBSERVABILITY, 'prometheus.yml'), 'utf8'));
const alerts = parse(readFileSync(join(OBSERVABILITY, 'alerts.yml'), 'utf8'));
const dashboard = JSON.parse(readFileSync(join(OBSERVABILITY, 'grafana', 'dashboards', 'azora.json'), 'utf8'));

/**
 * Every PromQL expression the dashboard runs, with Grafana's variables replaced the way Grafana would; a variable's
 * `label_values(metric, label)` becomes the equivalent `sum by (label) (metric)`.
 */
const dashboardExprs: string[] = [
  ...dashboard.panels
    .flatMap((panel: { targets?: { expr: string }[] }) => panel.targets ?? [])
    .map((target: { expr: string }) => target.expr.replaceAll('$__rate_interval', '5m').replaceAll('$subgraph', '.*')),
  ...dashboard.templating.list.map((variable: { query: { query: string } }) =>
    variable.query.query.replace(/^label_values\((\w+),\s*(\w+)\)$/, 'sum by ($2) ($1)'),
  ),
];
const alertExprs: string[] = alerts.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr));

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names and label names one PromQL expression refers to (enough PromQL for our own queries). */
function promqlReferences(expr: string): { metrics: string[]; labels: string[] } {
  const labels = new Set<string>();
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(/\{([^}]*)\}/g, (_, matchers: string) => {
    for (const m of matchers.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) labels.add(m[1]!);
    return ' ';
  });
  rest = rest.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, names: string) => {
    for (const name of names
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean))
      labels.add(name);
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  const metrics = [...rest.matchAll(/[a-zA-Z_:][\w:]*/g)]
    .filter((m) => !/^\s*\(/.test(rest.slice(m.index! + m[0].length)) && !PROMQL_KEYWORDS.has(m[0].toLowerCase()))
    .map((m) => m[0]);
  return { metrics: [...new Set(metrics)], labels: [...labels] };
}

/** Sample name → its label names, from a Prometheus text exposition. */
function exposedSeries(text: string, into: Map<string, Set<string>>): void {
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? /.exec(line);
    if (!sample) continue;
    const labels = into.get(sample[1]!) ?? new Set<string>();
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) labels.add(m[1]!);
    into.set(sample[1]!, labels);
  }
}

const promtoolFound = spawnSync('promtool', ['--version']).status === 0;
if (!promtoolFound && process.env.CI !== 'true') {
  console.warn('\npromtool not found (Debian package `prometheus`): alert rule and PromQL syntax checks skipped.\n');
}
// Under CI a missing promtool fails here instead of silently testing less (.ci/run installs it).
const withPromtool = promtoolFound || process.env.CI === 'true' ? it : it.skip;

function promtool(...args: string[]): string {
  const run = spawnSync('promtool', args, { cwd: OBSERVABILITY, encoding: 'utf8' });
  if (run.error) throw run.error;
  const output = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) throw new Error(`promtool ${args.join(' ')} failed:\n${output}`);
  return output;
}

describe('Prometheus configuration and alert rules (promtool)', () => {
  withPromtool('has a valid scrape config, and its rule file is valid', () => {
    expect(promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS/);
    expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: 7 rules found/);
  });

  withPromtool('fires each alert on the series that should trigger it, and only then', () => {
    expect(promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });

  withPromtool('covers every alert with a unit test', () => {
    const tested = new Set(
      parse(readFileSync(join(OBSERVABILITY, 'alerts.test.yml'), 'utf8')).tests.flatMap(
        (t: { alert_rule_test: { alertname: string }[] }) => t.alert_rule_test.map((a) => a.alertname),
      ),
    );
    for (const group of alerts.groups) for (const rule of group.rules) expect(tested).toContain(rule.alert);
  });

  withPromtool('parses every dashboard query as PromQL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'azora-dashboard-'));
    try {
      const rules = {
        groups: [
          { name: 'dashboard', rules: dashboardExprs.map((expr, i) => ({ record: `dashboard:query${i}`, expr })) },
        ],
      };
      writeFileSync(join(dir, 'dashboard-queries.yml'), stringify(rules));
      expect(promtool('check', 'rules', join(dir, 'dashboard-queries.yml'))).toMatch(
        `SUCCESS: ${dashboardExprs.length} rules found`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Prometheus scrape config', () => {
  it('scrapes the router and every subgraph in supergraph.yaml where Compose runs them', () => {
    const jobs = Object.fromEntries(prometheus.scrape_configs.map((job: { job_name: string }) => [job.job_name, job]));
    expect(jobs['azora-router'].static_configs[0].targets).toEqual([
      `router:${compose.services.router.environment.PORT}`,
    ]);
    const targets = jobs['azora-subgraphs'].static_configs;
    expect(targets.map((t: { labels: { subgraph: string } }) => t.labels.subgraph).sort()).toEqual(
      [...subgraphs].sort(),
    );
    for (const target of targets) {
      const name = target.labels.subgraph;
      expect(target.targets).toEqual([`${name}:${compose.services[name].environment.PORT}`]);
    }
  });
});

describe('dashboard and alert queries against the metrics a running platform exports', () => {
  let platform: Platform;
  const series = new Map<string, Set<string>>();

  beforeAll(async () => {
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis', 'mint', 'forge'] });
    // Traffic of every kind, so that every labelled series exists: ok, client error, cross-subgraph fetches.
    const { headers } = await platform.admin();
    await platform.request('query Users { users(first: 2) { edges { node { id accounts { id } } } } }', {}, headers);
    await platform.request('query Broken { users(first: 1000) { edges { node { id } } } }', {}, headers);
    for (const url of [platform.routerUrl, ...Object.values(platform.subgraphs).map((s) => s.url)]) {
      exposedSeries(await (await fetch(new URL('/metrics', url))).text(), series);
    }
    // `up` is made by Prometheus itself, with the target labels of prometheus.yml.
    series.set('up', new Set(['subgraph']));
  });
  afterAll(() => platform?.stop());

  it('finds the names and labels of our queries (the checker itself)', () => {
    expect(promqlReferences('sum by (le, x) (rate(m_bucket{a="1", b=~"x|y"}[5m])) / on (c) n and bool o')).toEqual({
      metrics: ['m_bucket', 'n', 'o'],
      labels: ['a', 'b', 'le', 'x', 'c'],
    });
  });

  it.each([...dashboardExprs.map((expr) => ['dashboard', expr]), ...alertExprs.map((expr) => ['alert', expr])])(
    '%s query uses only exported metrics and labels: %s',
    (_kind, expr) => {
      const { metrics, labels } = promqlReferences(expr);
      expect(metrics.length).toBeGreaterThan(0);
      const known = new Set(['job', 'instance']); // added by Prometheus to every scraped series
      for (const metric of metrics) {
        expect(series.has(metric) ? metric : `${metric} (not exported)`).toBe(metric);
        for (const label of series.get(metric)!) known.add(label);
      }
      for (const label of labels) expect(known.has(label) ? label : `${label} (no such label)`).toBe(label);
    },
  );

  it('points every panel at the provisioned Prometheus data source', () => {
    const provisioned = parse(
      readFileSync(join(OBSERVABILITY, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'),
    );
    const uid = provisioned.datasources[0].uid;
    for (const panel of dashboard.panels.filter((p: { type: string }) => p.type !== 'row'))
      expect(panel.datasource.uid).toBe(uid);
  });
});
