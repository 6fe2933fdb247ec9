export * from './crds.ts';
export { generateModels, MODEL_HEADER } from './models.ts';
export { parseCrdSource, type CrdSource, type FetchOptions } from './source.ts';
export { crdNameProblem, type CrdNames } from './names.ts';
