/**
 * The demo people every subgraph's demo data refers to. Subgraphs never read each other's tables, so the shared
 * fixture is these well-known ids, the same way real data is linked: by entity key.
 */
export const DEMO_USERS = [
  { id: '01930000-0000-7000-8000-000000000001', email: 'ada@azora.dev', displayName: 'Ada Lovelace', roles: ['admin'] },
  {
    id: '01930000-0000-7000-8000-000000000002',
    email: 'grace@azora.dev',
    displayName: 'Grace Hopper',
    roles: ['faculty'],
  },
  {
    id: '01930000-0000-7000-8000-000000000003',
    email: 'alan@azora.dev',
    displayName: 'Alan Turing',
    roles: ['learner'],
  },
  {
    id: '01930000-0000-7000-8000-000000000004',
    email: 'katherine@azora.dev',
    displayName: 'Katherine Johnson',
    roles: ['employer'],
  },
  {
    id: '01930000-0000-7000-8000-000000000005',
    email: 'edsger@azora.dev',
    displayName: 'Edsger Dijkstra',
    roles: ['treasury'],
  },
] as const;

/** The demo accounts' password. Demo data exists only in development mode; production refuses it. */
export const DEMO_PASSWORD = 'azora-demo-password';
