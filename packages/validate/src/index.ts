export type { FileInput, FileRead, ParsedInputs, ResourceRef, SourceDoc, ValidateOptions, ValidateResult } from './types.ts';
export { decodeParsed, parseInputs, readText } from './read.ts';
export { DEFAULT_LIMITS, readSources, type ReadLimits, type ReadOptions, type Source } from './sources.ts';
export { decodeAll, decoderPath, runDecoder, type Decoded, type DecodedChunk, type DecodedObject } from './decode.ts';
export { fieldPath, schemaProblems } from './schema.ts';
export { policyProblems } from './policy.ts';
export { checkParsed, kubernetesVersionOf, validate } from './validate.ts';
export { kubernetesSettings, requireKubernetesSets, serverVersionNotes, type KubernetesSettings } from './kubernetes.ts';
export { ruleHelp, type RuleHelp } from './rules.ts';
