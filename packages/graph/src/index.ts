export * from './collapse.ts';
export * from './dot.ts';
export * from './env.ts';
export * from './inputs.ts';
export * from './mermaid.ts';
export * from './style.ts';
export * from './topology.ts';
export * from './write.ts';
