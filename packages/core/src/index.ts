export * from './app.ts';
export * from './helpers.ts';
export * from './merge.ts';
export * from './objects.ts';
export * from './problems.ts';
export * from './workspace.ts';
