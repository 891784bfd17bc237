import type { ShieldRule } from './rules';

/**
 * A permission policy: a rule for every field, keyed by supergraph type and field. Under a type, the field `"*"` is the
 * rule for its fields not named (policy files use it); anything else missing is denied.
 *
 * Azora's policy is not written here: it is derived from the access directives in the subgraphs' SDL, carried into the
 * supergraph by composition (supergraph-policy.ts). A policy file adds one for a foreign supergraph (policy-file.ts).
 */
export type Policy = Record<string, Record<string, ShieldRule>>;

/** The `"*"` key: every field of a type not named (and, only in the permissive policy, every type). */
export const ANY = '*';
