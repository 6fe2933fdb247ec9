export * from './apps.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './files.ts';
export * from './layout.ts';
export * from './lines.ts';
export * from './scaffold.ts';
export * from './cached-build.ts';
export { usePrebuilt } from './load.ts';
