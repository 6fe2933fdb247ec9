export * from './problems.ts';
export * from './validate.ts';
