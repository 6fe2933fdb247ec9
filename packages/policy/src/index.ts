export type { Env, Finding, PodSecurityLevel, PolicyContext, PolicyException, PolicyObject, Rule, RuleFinding, Severity } from './types.ts';
export { podSecurityRules, rules } from './registry.ts';
export { namespaceAdmitsPods } from './rules/namespace-admits-pods.ts';
export { podFieldsFromClasses } from './rules/pod-fields-from-classes.ts';
export { mountableSecrets } from './rules/mountable-secrets.ts';
export { withinLimitRanges } from './rules/within-limit-ranges.ts';
export { blockingFindings, runPolicy, settingsProblems, severityFor, staleExceptions, unusedExceptions, type SettingsProblem } from './run.ts';
export { parseObjects } from './parse.ts';
export { toProblem, type PolicyProblem } from './problem.ts';
export {
  ANNOTATIONS_SIZE_LIMIT,
  ARGOCD_INSTANCE_LABEL,
  ARGOCD_INSTALLATION_ID_ANNOTATION,
  ARGOCD_TRACKING_ANNOTATION,
  argoCdTracked,
  clientSideApplyAnnotationsSize,
  fitsClientSideApply,
  type ArgoCdTracking,
  type ArgoCdTrackingMethod,
  LAST_APPLIED_ANNOTATION,
  lastAppliedConfiguration,
} from './client-side-apply.ts';
export { ingressRoutes, type IngressRoute } from './ingresses.ts';
export { podsOf, type PodView } from './pods.ts';
export { isDefaultDeny } from './network-policies.ts';
export { classesNamed, SYSTEM_PRIORITY_CLASSES, unknownClass, type ClassUse } from './classes.ts';
