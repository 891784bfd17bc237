import type { SubgraphContext } from '@azora/kit';
import type { AegisLoaders } from './loaders';

export type AegisContext = SubgraphContext<AegisLoaders>;
