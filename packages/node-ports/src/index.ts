export * from './allocations.ts';
export * from './node-ports.ts';
