export * from './helper.ts';
export * from './problems.ts';
