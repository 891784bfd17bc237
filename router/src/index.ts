export * from './compose';
export * from './limits';
export * from './reload/supergraph-source';
export * from './router';
export * from './settings';
export * from './supergraph-config';
