import { runSubgraph } from '@azora/kit';
import { nexus } from './schema';

void runSubgraph(nexus);
