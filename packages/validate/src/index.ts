export type {
  ClassClaims,
  AllocationClaim,
  FileInput,
  FileRead,
  IngressClaim,
  NamespaceClaims,
  ClusterLimitRange,
  ClusterClass,
  ClusterNetworkPolicy,
  NodePortClaim,
  ParsedInputs,
  ResourceRef,
  SourceDoc,
  ValidateOptions,
  ValidateResult,
} from './types.ts';
export { decodeParsed, nameAsTyped, namesAsTyped, readText, renamedAsTyped } from './read.ts';
export { parseInputs, type ParseOptions } from './inputs.ts';
export { DEFAULT_LIMITS, readSources, skippedNote, type ReadLimits, type ReadOptions, type Source } from './sources.ts';
export { decodeAll, DecoderStream, decoderPath, runDecoder, type Decoded, type DecodedChunk, type DecodedObject } from './decode.ts';
export { fieldPath, schemaProblems } from './schema.ts';
/** A field path as the server's checks report it (`spec.containers[0].resources.limits[cpu]`), as segments. */
export { pathSegments as serverPathSegments } from '@strata/server-validation';
export { policyProblems } from './policy.ts';
export { nodePortClaims, nodePortProblems } from './node-ports.ts';
export { allocationClaims, allocationProblems } from './allocations.ts';
export { CLASS_RULE, classBasis, classClaims, classProblems, clusterClasses, siblingClassClaims, type DeclaredClasses } from './class-references.ts';
export { INGRESS_ROUTE_RULE, ingressClaims, ingressRouteProblems } from './ingress-routes.ts';
export {
  NAMESPACE_RULE,
  namespaceClaims,
  PLATFORM_NAMESPACE_RULE,
  platformNamespaceProblems,
  namespacedIn,
  namespaceProblems,
  podSecurityBasis,
} from './namespaces.ts';
export { limitRangeBasis } from './limit-ranges.ts';
export { networkPolicyBasis } from './network-policies.ts';
export { placedInSources } from './kustomize-walk.ts';
export { isRemoteEntry, remoteInputs, type RemoteInput } from '@strata/kustomize/remote';
export { checkParsed, declaredClassesOf, isKustomization, judgedObjects, kubernetesVersionOf, validate } from './validate.ts';
export { envOf } from './env-of.ts';
export { kubernetesSettings, requireKubernetesSets, serverVersionNotes, type KubernetesSettings } from './kubernetes.ts';
export { ruleHelp, type RuleHelp } from './rules.ts';
export { escapeText, formatProblem, formatSummary, problemLines, summarize, type Summary } from './report.ts';
export { artifactUri, formatReport, OUTPUT_FORMATS, reportError, toJunit, toSarif, type OutputFormat, type Report } from './formats.ts';
