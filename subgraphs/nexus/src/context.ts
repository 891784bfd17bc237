import type { SubgraphContext } from '@azora/kit';
import type { NexusLoaders } from './loaders';

export type NexusContext = SubgraphContext<NexusLoaders>;
