import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';

/** Who a pod's processes run as. */
export interface PodIdentity {
  /**
   * UID of every container's processes. Without it the image's user is used, and the kubelet can
   * only prove that it is not root when the image names it by number.
   * @default the image's user
   */
  readonly user?: number;
  /** Primary GID of every container's processes. @default `user` */
  readonly group?: number;
  /** GID that owns the pod's volumes, so a non-root user can write them. @default `group` */
  readonly fsGroup?: number;
}

/** How a container departs from the restricted, read-only default. */
export interface ContainerSecurityOptions {
  /** UID of the container's processes. @default the pod's `runAsUser` (not written) */
  readonly user?: number;
  /** GID of the container's processes. @default the pod's `runAsGroup` (not written) */
  readonly group?: number;
  /**
   * Whether the root filesystem is read-only. Give the paths the process writes as writable paths
   * (see {@link hardenedContainer}) rather than turning this off.
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;
  /** Adds back `NET_BIND_SERVICE`, the one capability the restricted profile allows, to listen below 1024. @default false */
  readonly bindLowPorts?: boolean;
  /**
   * Whether the context holds every restricted field itself, `seccompProfile` and `privileged: false`
   * included, so that it stays restricted in a pod that sets no pod-level context. `false` leaves the
   * seccomp profile to the pod's context ({@link restrictedPodSecurityContext} sets it) and
   * `privileged` to the API's default, which is false.
   * @default true
   */
  readonly standalone?: boolean;
}

/** A UID or GID that the restricted profile accepts: a whole number, not root. */
function checkId(what: string, id: number | undefined): void {
  if (id === undefined) return;
  if (!Number.isInteger(id) || id < 0) throw new Error(`${what} is ${id}: give a whole number (0 or more).`);
  if (what.endsWith('runAsUser') && id === 0) throw new Error(`${what} is 0, which is root: give the image's non-root UID (1000, say).`);
}

/**
 * The pod-level context of the restricted Pod Security profile: non-root, the runtime's default
 * seccomp profile, and the given user and groups.
 */
export function restrictedPodSecurityContext(identity: PodIdentity = {}): IPodSecurityContext {
  const group = identity.group ?? identity.user;
  const fsGroup = identity.fsGroup ?? group;
  checkId('pod securityContext.runAsUser', identity.user);
  checkId('pod securityContext.runAsGroup', group);
  checkId('pod securityContext.fsGroup', fsGroup);
  return {
    ...(identity.user !== undefined ? { runAsUser: identity.user } : {}),
    ...(group !== undefined ? { runAsGroup: group } : {}),
    ...(fsGroup !== undefined ? { fsGroup } : {}),
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * A container's context under the restricted profile: non-root, no privilege escalation, every
 * capability dropped, a read-only root filesystem; the options say what is special.
 */
export function restrictedContainerSecurityContext(options: ContainerSecurityOptions = {}): ISecurityContext {
  const { user, group, readOnlyRootFilesystem = true, bindLowPorts = false, standalone = true } = options;
  checkId('container securityContext.runAsUser', user);
  checkId('container securityContext.runAsGroup', group);
  return {
    ...(user !== undefined ? { runAsUser: user } : {}),
    ...(group !== undefined ? { runAsGroup: group } : {}),
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    ...(standalone ? { privileged: false } : {}),
    capabilities: { drop: ['ALL'], ...(bindLowPorts ? { add: ['NET_BIND_SERVICE'] } : {}) },
    ...(standalone ? { seccompProfile: { type: 'RuntimeDefault' as const } } : {}),
  };
}
