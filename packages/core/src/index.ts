export * from './app.ts';
export * from './helpers.ts';
export * from './keys.ts';
export * from './merge.ts';
export * from './names.ts';
export * from './objects.ts';
export * from './problems.ts';
export * from './workspace.ts';
