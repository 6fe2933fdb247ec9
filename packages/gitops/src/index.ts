export * from './plan.ts';
export * from './settings.ts';
