export * from './platform';
export * from './postgres';
