import { loadSubgraphDefinition, parseEnv, problemsOf, startupProblems } from '@azora/kit';
import { routerEnvSchema, routerProductionRules } from '../../router/src/config';

/** A value an operator supplies at deploy time (long enough for every secret's minimum). */
export const OPERATOR_VALUE = 'operator-supplied-value-0123456789abcdef';

/**
 * Everything the real start-up checks would report for a service (`router` or a subgraph name) started with this
 * environment: a deployment whose services would refuse to start fails a test instead.
 */
export function startupProblemsOf(service: string, env: NodeJS.ProcessEnv): string[] {
  if (service === 'router') return problemsOf(() => parseEnv(routerEnvSchema, env, [routerProductionRules]));
  return startupProblems(loadSubgraphDefinition(service), env);
}

/** Docker Compose interpolation: `${X:?message}` is required from the operator, `${X:-default}` falls back. */
export function interpolateCompose(environment: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [
      name,
      String(value)
        .replace(/\$\{[A-Z0-9_]+:\?[^}]*\}/g, OPERATOR_VALUE)
        .replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1'),
    ]),
  );
}
