import { isDeepStrictEqual } from 'node:util';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { restrictedContainerSecurityContext, type ContainerSecurityOptions } from './security.ts';

/**
 * A path that a container with a read-only root filesystem writes to. By default an `emptyDir`
 * that lives as long as the pod; `claim` mounts a PersistentVolumeClaim there instead, and
 * `claimTemplate` the StatefulSet's volume claim template of the same name.
 */
export type WritablePath = EmptyDirPath | ClaimPath | ClaimTemplatePath;

interface PathBase {
  /** Where the container writes: the mount path. */
  readonly path: string;
  /** Name of the volume and of its mount, a DNS label. @default the path's last segment (`/tmp` -> `tmp`) */
  readonly name?: string;
}

export interface EmptyDirPath extends PathBase {
  /** Upper bound of the emptyDir; the kubelet evicts a pod that writes more. @default no limit */
  readonly sizeLimit?: string;
}

export interface ClaimPath extends PathBase {
  /** The PersistentVolumeClaim mounted at the path. */
  readonly claim: string;
}

export interface ClaimTemplatePath extends PathBase {
  /** The StatefulSet's volume claim template named like the mount: the pod gets no volume for it. */
  readonly claimTemplate: true;
}

export interface HardenedContainerOptions extends ContainerSecurityOptions {
  /**
   * Every path the process writes, a string for a plain `emptyDir`. Each is mounted before the
   * container's own `volumeMounts`, and brings its volume to the pod.
   * @default []
   */
  readonly writable?: readonly (string | WritablePath)[];
  /**
   * Volumes that the container's own `volumeMounts` read (a ConfigMap, say), added to the pod after
   * the writable ones.
   * @default []
   */
  readonly volumes?: readonly IVolume[];
}

/** A container with its security context set, and the volumes it needs the pod to have. */
export interface HardenedContainer {
  readonly container: IContainer;
  readonly volumes: readonly IVolume[];
}

/** What a container may say of itself: anything but its security context, which the kit sets. */
export type ContainerSpec = Omit<IContainer, 'securityContext'>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function volumeName(path: WritablePath): string {
  const name = path.name ?? path.path.split('/').filter(Boolean).at(-1) ?? '';
  if (!DNS_LABEL.test(name)) {
    const why = path.name === undefined ? `its last segment "${name}" is no volume name` : `name "${name}" is no DNS label`;
    throw new Error(`writable path ${path.path}: ${why}; give it a name of lower-case letters, digits and '-' (name: 'cache', say).`);
  }
  return name;
}

function volumeOf(path: WritablePath, name: string): IVolume | undefined {
  if ('claimTemplate' in path) return undefined;
  if ('claim' in path) return { name, persistentVolumeClaim: { claimName: path.claim } };
  return { name, emptyDir: path.sizeLimit === undefined ? {} : { sizeLimit: path.sizeLimit } };
}

/**
 * A container under the restricted profile with a read-only root filesystem, and one volume for
 * each path it must write: `hardenedContainer({ name, image }, { user: 1000, writable: ['/tmp'] })`.
 */
export function hardenedContainer(container: ContainerSpec, options: HardenedContainerOptions = {}): HardenedContainer {
  const { writable = [], volumes = [], ...security } = options;
  const mounts: IVolumeMount[] = [];
  const own: IVolume[] = [];
  for (const entry of writable) {
    const path = typeof entry === 'string' ? { path: entry } : entry;
    const name = volumeName(path);
    mounts.push({ name, mountPath: path.path });
    const volume = volumeOf(path, name);
    if (volume) own.push(volume);
  }
  const allMounts = [...mounts, ...(container.volumeMounts ?? [])];
  for (const key of ['name', 'mountPath'] as const) {
    const seen = new Set<string>();
    for (const m of allMounts) {
      if (seen.has(m[key])) throw new Error(`container ${container.name}: two volume mounts have ${key} ${m[key]}; mount each volume and path once.`);
      seen.add(m[key]);
    }
  }
  return {
    container: {
      ...container,
      securityContext: restrictedContainerSecurityContext(security),
      ...(allMounts.length > 0 ? { volumeMounts: allMounts } : {}),
    },
    volumes: mergeVolumes([own, volumes], `container ${container.name}`),
  };
}

/** Volumes from several sources, in order, each name once; one name for two different volumes is an error. */
export function mergeVolumes(lists: readonly (readonly IVolume[])[], where: string): IVolume[] {
  const byName = new Map<string, IVolume>();
  for (const volume of lists.flat()) {
    const known = byName.get(volume.name);
    if (known === undefined) byName.set(volume.name, volume);
    else if (!isDeepStrictEqual(known, volume)) {
      throw new Error(`${where}: two different volumes are named ${volume.name}; give one of them another name.`);
    }
  }
  return [...byName.values()];
}
