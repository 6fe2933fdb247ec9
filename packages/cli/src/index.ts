export * from './build.ts';
export * from './check.ts';
export * from './generate.ts';
export * from './problems.ts';
export * from './validate.ts';
