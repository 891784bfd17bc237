import type { SubgraphContext } from '@azora/kit';
import type { ForgeLoaders } from './loaders';

export type ForgeContext = SubgraphContext<ForgeLoaders>;
