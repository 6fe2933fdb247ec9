export * from './problems.ts';
export * from '@strata/validate';
