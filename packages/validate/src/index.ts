export type { FileInput, FileRead, NodePortClaim, ParsedInputs, ResourceRef, SourceDoc, ValidateOptions, ValidateResult } from './types.ts';
export { decodeEarly, decodeParsed, nameAsTyped, namesAsTyped, parseInputs, readText, renamedAsTyped, type EarlyDecoding } from './read.ts';
export { DEFAULT_LIMITS, readSources, type ReadLimits, type ReadOptions, type Source } from './sources.ts';
export {
  decodeAll,
  decoderPath,
  runDecoder,
  startDecoder,
  startDecoding,
  type DecoderStream,
  type Decoded,
  type DecodedChunk,
  type DecodedObject,
} from './decode.ts';
export { fieldPath, schemaProblems } from './schema.ts';
export { policyProblems } from './policy.ts';
export { nodePortClaims, nodePortProblems } from './node-ports.ts';
export { checkParsed, kubernetesVersionOf, validate } from './validate.ts';
export { kubernetesSettings, requireKubernetesSets, serverVersionNotes, type KubernetesSettings } from './kubernetes.ts';
export { ruleHelp, type RuleHelp } from './rules.ts';
export { escapeText, formatProblem, formatSummary, problemLines, summarize, type Summary } from './report.ts';
export { formatReport, OUTPUT_FORMATS, reportError, toJunit, toSarif, type OutputFormat, type Report } from './formats.ts';
