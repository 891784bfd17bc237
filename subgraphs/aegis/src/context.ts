export type { AegisContext } from './runtime';
