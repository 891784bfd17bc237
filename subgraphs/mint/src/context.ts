import type { SubgraphContext } from '@azora/kit';
import type { MintConfig } from './config';
import type { MintLoaders } from './loaders';

export type MintContext = SubgraphContext<MintLoaders> & { mintConfig: MintConfig };
