import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { parse as parseYaml } from 'yaml';
import type { Logger, NodeEnv } from '@azora/kit';
import { bothPolicies, fixedPolicy, type LivePolicy } from './live-policy';
import { ANY, type Policy } from './policy';
import { SupergraphPolicy } from './supergraph-policy';
import { allow, authenticated, deny, person, role, scope, signedInPerson, type ShieldRule } from './rules';
import { isObject } from '../limits/trusted-documents';
import { readSettled } from '../reload/settled-file';

/**
 * A permission policy for any supergraph, read from a YAML (or JSON) file:
 *
 * ```yaml
 * version: 1
 * types:
 *   Query:
 *     products: allow
 *     orders: authenticated
 *     refunds: role:admin,treasury
 *   Product:
 *     "*": allow            # every field of Product not named below
 *     costPrice: role:admin
 * ```
 *
 * A rule is `allow`, `deny`, `authenticated`, `person`, `signedInPerson`, `role:<role>[,<role>...]` (any of them) or
 * `scope:<scope>`: the same building blocks as the named policies of the access directives (supergraph-policy.ts). A
 * field with no rule, and no `"*"` for its type, is denied. Every type and field named must exist in the served API
 * schema.
 *
 * The file does not replace the supergraph's own access directives (`@authenticated`, `@requiresScopes`, `@policy`):
 * both must allow a field. The file is the deny-by-default list for a supergraph that was not written for this router;
 * the directives its subgraphs declare still hold.
 */
const POLICY_FILE_VERSION = 1;

/** The name that asks for the deliberately permissive policy instead of a file. */
export const PERMISSIVE_POLICY = 'permissive';

/** Every field of every type allowed. Only ever used when named explicitly (`--policy permissive`). */
const permissivePolicy: Policy = { [ANY]: { [ANY]: allow } };

class PolicyFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid permission policy:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PolicyFileError';
  }
}

const NAME = /^[A-Za-z_][\w-]*$/;
const FIXED: Record<string, ShieldRule> = { allow, deny, authenticated, person, signedInPerson };
const RULE_SYNTAX = 'allow, deny, authenticated, person, signedInPerson, role:<role>[,<role>...] or scope:<scope>';

/** The rule a policy expression names, or a problem saying why there is none. */
function ruleOf(expression: unknown): ShieldRule | string {
  if (typeof expression !== 'string') return `a rule is a string (${RULE_SYNTAX}), got ${JSON.stringify(expression)}`;
  const text = expression.trim();
  // Own keys only: `constructor` or `toString` must be unknown rules, not Object.prototype's members.
  if (Object.hasOwn(FIXED, text)) return FIXED[text]!;
  const match = /^(role|scope):(.*)$/.exec(text);
  if (match) {
    const [, kind, list] = match as unknown as [string, 'role' | 'scope', string];
    const names = list.split(',').map((n) => n.trim());
    if (!names.every((n) => NAME.test(n)))
      return `"${text}": ${kind} names are letters, digits, _ and - (got ${JSON.stringify(list)})`;
    if (kind === 'scope' && names.length !== 1) return `"${text}": scope takes one scope`;
    return kind === 'role' ? role(...names) : scope(names[0]!);
  }
  return `unknown rule "${text}"; use ${RULE_SYNTAX}`;
}

/** Checks a parsed policy document against the API schema; returns the policy, or every problem found. */
function policyFromDocument(document: unknown, schema: GraphQLSchema): Policy | string[] {
  const problems: string[] = [];
  if (!isObject(document)) return ['the file must hold an object with `version: 1` and `types`'];
  for (const key of Object.keys(document))
    if (key !== 'version' && key !== 'types') problems.push(`unknown key "${key}" (only version and types)`);
  if (document.version !== POLICY_FILE_VERSION)
    problems.push(`version must be ${POLICY_FILE_VERSION}, got ${JSON.stringify(document.version)}`);
  if (!isObject(document.types)) return [...problems, '`types` must map type names to { field: rule }'];
  const policy: Policy = {};
  for (const [typeName, fields] of Object.entries(document.types)) {
    if (typeName === ANY) {
      problems.push(
        `"${ANY}" is not a type; to allow everything, name the permissive policy explicitly (--policy ${PERMISSIVE_POLICY})`,
      );
      continue;
    }
    const type = schema.getType(typeName);
    if (!type) {
      problems.push(`${typeName}: no such type in the supergraph's API schema`);
      continue;
    }
    if (!isObjectType(type) && !isInterfaceType(type)) {
      problems.push(`${typeName}: not an object or interface type (only their fields are selected)`);
      continue;
    }
    if (!isObject(fields)) {
      problems.push(`${typeName}: must map field names to rules`);
      continue;
    }
    const known = type.getFields();
    const rules: Record<string, ShieldRule> = {};
    for (const [fieldName, expression] of Object.entries(fields)) {
      if (fieldName !== ANY && !known[fieldName]) {
        problems.push(`${typeName}.${fieldName}: no such field`);
        continue;
      }
      const rule = ruleOf(expression);
      if (typeof rule === 'string') problems.push(`${typeName}.${fieldName}: ${rule}`);
      else rules[fieldName] = rule;
    }
    policy[typeName] = rules;
  }
  return problems.length > 0 ? problems : policy;
}

/** Reads and checks a policy file against the schema it will guard; throws a PolicyFileError listing every problem. */
export function loadPolicyFile(file: string, schema: GraphQLSchema): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyFileError(file, [(error as Error).message]);
  }
  return policyFromText(file, text, schema);
}

/** Checks the text of a policy file against the schema it will guard; throws a PolicyFileError listing every problem. */
function policyFromText(file: string, text: string, schema: GraphQLSchema): Policy {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new PolicyFileError(file, [(error as Error).message]);
  }
  const result = policyFromDocument(document, schema);
  if (Array.isArray(result)) throw new PolicyFileError(file, result);
  return result;
}

/** The value AZORA_CONFIRM_PERMISSIVE_POLICY must have for production mode to accept the permissive policy. */
const PERMISSIVE_CONFIRMATION = 'every-field-is-public';

interface PolicyChoice {
  /** `--policy` or AZORA_POLICY_FILE: a policy file, `permissive`, or nothing for the supergraph's directives only. */
  policy?: string;
  nodeEnv: NodeEnv;
  /** AZORA_CONFIRM_PERMISSIVE_POLICY. */
  confirmation?: string;
  /** The API schema of the supergraph to be served, to check a policy file against. */
  apiSchema: () => GraphQLSchema;
  log: Logger;
  /** With hot reload, how often a policy file is polled for edits; without, the file is read once. */
  reloadPollMs?: number;
}

/**
 * The policy the router process enforces: the served supergraph's access directives by default; those and a checked
 * policy file, both of which must allow a field; or — only when named, and in production only when confirmed — the
 * permissive policy, announced with a warning, under which nothing is checked, directives included. Throws when
 * refused.
 */
export function choosePolicy({
  policy,
  nodeEnv,
  confirmation,
  apiSchema,
  log,
  reloadPollMs,
}: PolicyChoice): LivePolicy {
  if (!policy) return new SupergraphPolicy(log);
  if (policy === PERMISSIVE_POLICY) {
    if (nodeEnv === 'production' && confirmation !== PERMISSIVE_CONFIRMATION) {
      throw new Error(
        `the permissive policy lets anyone call every field; production mode refuses it unless AZORA_CONFIRM_PERMISSIVE_POLICY=${PERMISSIVE_CONFIRMATION}`,
      );
    }
    log.warn(
      { policy: PERMISSIVE_POLICY },
      'PERMISSIVE POLICY: every field of the supergraph is open to anyone, signed in or not; no permission is checked',
    );
    return fixedPolicy(permissivePolicy);
  }
  const loaded = loadPolicyFile(policy, apiSchema());
  log.info({ policy, types: Object.keys(loaded).length }, 'permission policy loaded');
  // With hot reload, the file follows its own edits and the supergraph's: checked again on every change.
  const file =
    reloadPollMs === undefined ? fixedPolicy(loaded) : new WatchedPolicyFile(policy, loaded, log, reloadPollMs);
  // The file denies what it does not name; the directives add their requirements to what it allows.
  return bothPolicies(new SupergraphPolicy(log, { undeclaredRoots: 'allow' }), file);
}

/**
 * A policy file kept in step with the supergraph and with itself (hot reload): read again and checked again whenever
 * the served supergraph changes and whenever the file does (polled, like the supergraph file, so files replaced by
 * rename and ConfigMap updates are seen). A file that does not pass the check against the schema being served leaves
 * the policy in force as it was, logging every problem, and so does a missing or unreadable file: a field added to the
 * supergraph stays denied until the file allows it (by name or by its type's `"*"`).
 *
 * A file is read only once it has not changed for a poll interval, and only if it did not change while being read: an
 * editor or `cp` that truncates and then writes is not caught half-way, where a shorter policy could still pass the
 * check and allow what the rest of the file restricts. Replacing the file by rename is safer still.
 */
export class WatchedPolicyFile implements LivePolicy {
  private schema?: GraphQLSchema;
  /** A reload waiting for the file to settle. */
  private waiting?: NodeJS.Timeout;
  private readonly onFileChange = () => this.reload('policy file changed');

  constructor(
    private readonly file: string,
    private policy: Policy,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {
    watchFile(file, { interval: pollMs, persistent: false }, this.onFileChange);
  }

  current(): Policy {
    return this.policy;
  }

  schemaChanged(apiSchema: GraphQLSchema): void {
    this.schema = apiSchema;
    // Every schema, the first included: the file may have changed since it was checked at start.
    this.reload('supergraph changed');
  }

  private reload(cause: string): void {
    if (!this.schema) return; // the first schema reads it
    clearTimeout(this.waiting);
    let text: string | undefined;
    try {
      text = readSettled([this.file], this.pollMs, () => readFileSync(this.file, 'utf8'));
    } catch (error) {
      this.log.error(
        { policy: this.file, cause, problems: [(error as Error).message] },
        'permission policy not reloaded; the one in force stays',
      );
      return;
    }
    if (text === undefined) return this.later(cause);
    try {
      this.policy = policyFromText(this.file, text, this.schema);
      this.log.info({ policy: this.file, cause, types: Object.keys(this.policy).length }, 'permission policy reloaded');
    } catch (error) {
      const problems = error instanceof PolicyFileError ? error.problems : [(error as Error).message];
      this.log.error({ policy: this.file, cause, problems }, 'permission policy not reloaded; the one in force stays');
    }
  }

  /** Tries again once the file has had a poll interval to settle. */
  private later(cause: string): void {
    this.waiting = setTimeout(() => this.reload(cause), this.pollMs).unref();
  }

  close(): void {
    clearTimeout(this.waiting);
    unwatchFile(this.file, this.onFileChange);
  }
}
