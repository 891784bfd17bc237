import type { SubgraphContext } from '@azora/kit';
import type { MintLoaders } from './loaders';

export type MintContext = SubgraphContext<MintLoaders>;
