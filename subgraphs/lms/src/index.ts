import { runSubgraph } from '@azora/kit';
import { lms } from './schema';

void runSubgraph(lms);
