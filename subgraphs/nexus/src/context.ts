/**
 * Compatibility until codegen.yml's `contextType` is `../schema#Context` (issue 14): the generated resolver types
 * still import this name. Delete this file when the codegen convention lands and `npm run codegen` has run.
 */
export type { Context as NexusContext } from './schema';
