export * from './allocations.ts';
export * from './clashes.ts';
export * from './node-ports.ts';
