export * from './container.ts';
export * from './metadata.ts';
export * from './monitoring.ts';
export * from './network.ts';
export * from './pod.ts';
export * from './security.ts';
