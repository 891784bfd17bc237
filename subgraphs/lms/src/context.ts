import type { SubgraphContext } from '@azora/kit';
import type { LmsLoaders } from './loaders';

export type LmsContext = SubgraphContext<LmsLoaders>;
