export * from './compose';
export * from './router';
export * from './supergraph-config';
