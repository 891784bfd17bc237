import { runSubgraph } from '@azora/kit';
import { mint } from './schema';

void runSubgraph(mint);
