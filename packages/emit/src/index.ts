export * from './compare.ts';
export * from './derive.ts';
export * from './mergekeys.ts';
export * from './preview.ts';
export * from './tree.ts';
export * from './write.ts';
export * from './yaml.ts';
