export * from './apps.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './layout.ts';
export * from './scaffold.ts';
