import { runSubgraph } from '@azora/kit';
import { aegis } from './schema';

void runSubgraph(aegis);
