export type { FileInput, FileRead, ParsedInputs, SourceDoc, ValidateOptions, ValidateResult } from './types.ts';
export { parseInputs, readText } from './read.ts';
export { fieldPath, schemaProblems } from './schema.ts';
export { policyProblems } from './policy.ts';
export { checkParsed, validate } from './validate.ts';
