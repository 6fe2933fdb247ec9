export * from './build.ts';
export * from './cache.ts';
export * from './check.ts';
export * from './diff.ts';
export * from './findings.ts';
export * from './generate.ts';
export * from './pipeline.ts';
export * from './targets.ts';
