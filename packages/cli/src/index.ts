export * from '@strata/validate';
