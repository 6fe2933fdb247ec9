import { namespaceAdmitsPods } from './rules/namespace-admits-pods.ts';
import { noSystemMastersCsr } from './rules/no-system-masters-csr.ts';
import { podFieldsFromClasses } from './rules/pod-fields-from-classes.ts';
import { mountableSecrets } from './rules/mountable-secrets.ts';
import { withinLimitRanges } from './rules/within-limit-ranges.ts';
import { noCustomSelinuxOptions } from './rules/no-custom-selinux-options.ts';
import { noHostPorts } from './rules/no-host-ports.ts';
import { noHostProcess } from './rules/no-host-process.ts';
import { noProbeOrLifecycleHost } from './rules/no-probe-or-lifecycle-host.ts';
import { noRootUser } from './rules/no-root-user.ts';
import { noUnconfinedApparmor } from './rules/no-unconfined-apparmor.ts';
import { noUnmaskedProcMount } from './rules/no-unmasked-proc-mount.ts';
import { noUnsafeSysctls } from './rules/no-unsafe-sysctls.ts';
import { restrictVolumeTypes } from './rules/restrict-volume-types.ts';
import { defaultDenyNetworkPolicy } from './rules/default-deny-network-policy.ts';
import { duplicateResource } from './rules/duplicate-resource.ts';
import { fitClientSideApply } from './rules/fit-client-side-apply.ts';
import { dropAllCapabilities } from './rules/drop-all-capabilities.ts';
import { ingressBackendExists } from './rules/ingress-backend-exists.ts';
import { namedTargetPortExists } from './rules/named-target-port-exists.ts';
import { networkPolicySelectsWorkload } from './rules/network-policy-selects-workload.ts';
import { noAdmissionPolicy } from './rules/no-admission-policy.ts';
import { noAdmissionWebhook } from './rules/no-admission-webhook.ts';
import { noAutomountToken } from './rules/no-automount-token.ts';
import { noExternalConversionWebhook } from './rules/no-external-conversion-webhook.ts';
import { noExternalIps } from './rules/no-external-ips.ts';
import { noClusterAdminBinding } from './rules/no-cluster-admin-binding.ts';
import { noDeprecatedApi } from './rules/no-deprecated-api.ts';
import { noDuplicateEnv } from './rules/no-duplicate-env.ts';
import { noHostNamespaces } from './rules/no-host-namespaces.ts';
import { noHostPath } from './rules/no-host-path.ts';
import { noHostPersistentVolume } from './rules/no-host-persistent-volume.ts';
import { noLatestTag } from './rules/no-latest-tag.ts';
import { noPrivilegeEscalation } from './rules/no-privilege-escalation.ts';
import { noPrivileged } from './rules/no-privileged.ts';
import { noPublicBinding } from './rules/no-public-binding.ts';
import { noRbacEscalation } from './rules/no-rbac-escalation.ts';
import { noRbacWildcards } from './rules/no-rbac-wildcards.ts';
import { noSecretValues } from './rules/no-secret-values.ts';
import { noSecretInLastApplied } from './rules/no-secret-in-last-applied.ts';
import { noSecretWrite } from './rules/no-secret-write.ts';
import { noUncheckedPodTemplate } from './rules/no-unchecked-pod-template.ts';
import { requireImageDigest } from './rules/require-image-digest.ts';
import { requireProbes } from './rules/require-probes.ts';
import { requireReadOnlyRootFilesystem } from './rules/require-read-only-root-filesystem.ts';
import { requireResources } from './rules/require-resources.ts';
import { requireRunAsNonRoot } from './rules/require-run-as-non-root.ts';
import { requireSeccompProfile } from './rules/require-seccomp-profile.ts';
import { resolveReferences } from './rules/resolve-references.ts';
import { scaleTargetExists } from './rules/scale-target-exists.ts';
import { selectorMatchesTemplate } from './rules/selector-matches-template.ts';
import { serviceMonitorSelectsService } from './rules/service-monitor-selects-service.ts';
import { serviceSelectsPods } from './rules/service-selects-pods.ts';
import { singleAutoscaler } from './rules/single-autoscaler.ts';
import { singleReplica } from './rules/single-replica.ts';
import { validImageReference } from './rules/valid-image-reference.ts';
import type { Rule } from './types.ts';

/**
 * The Pod Security Standards, one rule per control, exactly as the PodSecurity admission plugin of
 * Kubernetes 1.36 evaluates them: baseline controls first, then restricted. Each finding says the
 * lowest level that refuses it.
 */
export const podSecurityRules: readonly Rule[] = [
  noHostProcess,
  noHostNamespaces,
  noPrivileged,
  dropAllCapabilities,
  noHostPath,
  noHostPorts,
  noProbeOrLifecycleHost,
  noUnconfinedApparmor,
  noCustomSelinuxOptions,
  noUnmaskedProcMount,
  requireSeccompProfile,
  noUnsafeSysctls,
  restrictVolumeTypes,
  noPrivilegeEscalation,
  requireRunAsNonRoot,
  noRootUser,
];

/** Every rule, in the order findings for one object are reported: Pod Security first, then the rest of security, then wiring. */
export const rules: readonly Rule[] = [
  ...podSecurityRules,
  namespaceAdmitsPods,
  podFieldsFromClasses,
  mountableSecrets,
  withinLimitRanges,
  noUncheckedPodTemplate,
  noHostPersistentVolume,
  requireReadOnlyRootFilesystem,
  requireResources,
  requireProbes,
  validImageReference,
  noLatestTag,
  requireImageDigest,
  noDuplicateEnv,
  noAutomountToken,
  resolveReferences,
  selectorMatchesTemplate,
  serviceSelectsPods,
  namedTargetPortExists,
  ingressBackendExists,
  scaleTargetExists,
  singleAutoscaler,
  singleReplica,
  serviceMonitorSelectsService,
  defaultDenyNetworkPolicy,
  networkPolicySelectsWorkload,
  noRbacWildcards,
  noSecretWrite,
  noSecretValues,
  noSecretInLastApplied,
  duplicateResource,
  fitClientSideApply,
  noClusterAdminBinding,
  noSystemMastersCsr,
  noRbacEscalation,
  noPublicBinding,
  noAdmissionWebhook,
  noExternalConversionWebhook,
  noAdmissionPolicy,
  noExternalIps,
  noDeprecatedApi,
];
