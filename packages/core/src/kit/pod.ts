import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { mergeVolumes, type HardenedContainer } from './container.ts';
import { restrictedPodSecurityContext, type PodIdentity } from './security.ts';

/**
 * A pod spec built from hardened containers. The host's namespaces stay closed (the fields may
 * only say `false`) and the security context is the kit's.
 */
export interface HardenedPodSpec
  extends Omit<IPodSpec, 'containers' | 'initContainers' | 'volumes' | 'securityContext' | 'hostNetwork' | 'hostPID' | 'hostIPC'> {
  readonly containers: readonly HardenedContainer[];
  /** @default [] */
  readonly initContainers?: readonly HardenedContainer[];
  /** Volumes that no container brought with it, added after theirs. @default [] */
  readonly volumes?: readonly IVolume[];
  /** The user and groups of every container. @default the image's user */
  readonly runAs?: PodIdentity;
  /**
   * Whether the pod gets a token of its service account. Only a pod that talks to the API server
   * needs one; without it a compromised container has no credentials to use.
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /** @default false (the API's default; only ever written as false) */
  readonly hostNetwork?: false;
  /** @default false (the API's default; only ever written as false) */
  readonly hostPID?: false;
  /** @default false (the API's default; only ever written as false) */
  readonly hostIPC?: false;
}

/**
 * A pod spec under the restricted Pod Security profile: the restricted pod context, no service
 * account token unless asked, and every volume its containers bring (each once), then `volumes`.
 */
export function hardenedPodSpec(spec: HardenedPodSpec): IPodSpec {
  const { containers, initContainers = [], volumes = [], runAs, automountServiceAccountToken = false, ...rest } = spec;
  if (containers.length === 0) throw new Error('hardenedPodSpec: a pod needs at least one container; pass one made with hardenedContainer().');
  const names = [...initContainers, ...containers].map((c) => c.container.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`hardenedPodSpec: two containers are named ${twice}; container names must be unique within a pod.`);
  const all = mergeVolumes([...initContainers.map((c) => c.volumes), ...containers.map((c) => c.volumes), volumes], 'pod');
  return {
    ...rest,
    automountServiceAccountToken,
    securityContext: restrictedPodSecurityContext(runAs),
    ...(initContainers.length > 0 ? { initContainers: initContainers.map((c) => c.container) } : {}),
    containers: containers.map((c) => c.container),
    ...(all.length > 0 ? { volumes: all } : {}),
  };
}
