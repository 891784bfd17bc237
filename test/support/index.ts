export * from './fault-proxy';
export * from './fixture-subgraph';
export * from './platform';
export * from './postgres';
export * from './seed';
export * from './waiting';
