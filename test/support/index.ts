export * from './platform';
export * from './postgres';
export * from './process';
export * from './logs';
export * from './deployment';
export * from './marketplace';
export * from './errors';
