import { runSubgraph } from '@azora/kit';
import { forge } from './schema';

void runSubgraph(forge);
