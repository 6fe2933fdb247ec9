import { ENVIRONMENTS, isPlainObject, type Environment } from '@strata/core';
import { CONFIG_SECTIONS, configLocation, declaredNamespaces, readConfig, UsageError } from '@strata/project';
import { DEFAULT_KUBERNETES_VERSION, kubernetesSetVersion, schemaLocations } from '@strata/schemas';

/** The Kubernetes version each env's clusters run: the `kubernetes` section of strata.config.json. */
export interface KubernetesSettings {
  /** The version of every env that names none, as written (`1.36`). @default the target, 1.36 */
  readonly version: string;
  /** Each env's version, the default filled in. */
  readonly envs: Readonly<Record<Environment, string>>;
  /**
   * The node ports the clusters give Services (their kube-apiserver's --service-node-port-range),
   * both ends included: `"serviceNodePortRange": "8000-9000"`. @default unset: the API server's own, 30000-32767
   */
  readonly serviceNodePortRange?: { readonly from: number; readonly to: number };
  /**
   * Namespaces every env's clusters have although no app creates them (the platform makes them):
   * `"namespaces": ["monitoring"]`. An app's object may live there. @default none beyond those of every cluster
   */
  readonly namespaces?: readonly string[];
}

const DEFAULT = DEFAULT_KUBERNETES_VERSION.replace(/\.0$/, '');

/** A version setting checked against the sets there are; `where` names the field. */
function versionAt(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new UsageError(`${where}: must be a version string such as "1.35"`);
  try {
    kubernetesSetVersion(value);
  } catch (err) {
    throw new UsageError(`${where}: ${(err as Error).message}`);
  }
  return value.trim().replace(/^v/, '');
}

/** A range of ports written `<from>-<to>`, as kube-apiserver's --service-node-port-range takes it; `where` names the field. */
/**
 * A node port range as kube-apiserver's --service-node-port-range reads it (k8s.io/apimachinery's
 * PortRange): "<from>-<to>", "<from>+<more>" or one port, both ends included, trimmed but with no
 * space inside. From 1: a range that holds port 0 is refused here, though the flag takes it.
 */
function portRangeAt(value: unknown, where: string): { from: number; to: number } {
  const int = (s: string) => (/^[+-]?\d+$/.test(s) ? Number(s) : Number.NaN);
  const text = typeof value === 'string' ? value.trim() : '';
  const hyphen = text.indexOf('-');
  const plus = text.indexOf('+');
  let [from, to] = [Number.NaN, Number.NaN];
  if (hyphen < 0 && plus < 0) [from, to] = [int(text), int(text)];
  else if (plus < 0) [from, to] = [int(text.slice(0, hyphen)), int(text.slice(hyphen + 1))];
  else if (hyphen < 0) [from, to] = [int(text.slice(0, plus)), int(text.slice(0, plus)) + int(text.slice(plus + 1))];
  if (typeof value !== 'string' || !Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to > 65535 || from > to)
    throw new UsageError(
      `${where}: must be a range of ports as kube-apiserver's --service-node-port-range takes it, "<from>-<to>", "<from>+<count>" or one port, such as "30000-32767" (1 to 65535, <from> not above <to>); got ${JSON.stringify(value)}`,
    );
  return { from, to };
}

const SETTINGS: readonly string[] = CONFIG_SECTIONS.kubernetes;

/**
 * Reads `{"kubernetes": {"version": "1.36", "envs": {"prod": "1.35"}, "serviceNodePortRange": "30000-32767"}}`
 * from strata.config.json. Without the file or the section every env runs the target version, with
 * the API server's own node port range. A version the pinned schemas do not cover, a range not
 * written `<from>-<to>`, or a key that is not a setting, is a usage error naming the field.
 */
export function kubernetesSettings(root: string): KubernetesSettings {
  const section = readConfig(root)?.kubernetes;
  if (section === undefined) return { version: DEFAULT, envs: { dev: DEFAULT, staging: DEFAULT, prod: DEFAULT } };
  // `strata.config.json:<line>:<column>: kubernetes.<key>`, as every other mistake in the file is named.
  const where = (...path: string[]) => `${configLocation(root, ['kubernetes', ...path])}: ${['kubernetes', ...path].join('.')}`;
  if (!isPlainObject(section)) throw new UsageError(`${where()}: must be an object such as {"version": "1.36", "envs": {"prod": "1.35"}}`);
  for (const key of Object.keys(section)) {
    if (!SETTINGS.includes(key)) throw new UsageError(`${where(key)}: unknown setting; known settings: ${SETTINGS.join(', ')}`);
  }
  const version = section.version === undefined ? DEFAULT : versionAt(section.version, where('version'));
  const envs = section.envs ?? {};
  if (!isPlainObject(envs)) throw new UsageError(`${where('envs')}: must map env names to versions, such as {"prod": "1.35"}`);
  for (const key of Object.keys(envs)) {
    if (!(ENVIRONMENTS as readonly string[]).includes(key))
      throw new UsageError(`${where('envs', key)}: unknown env; known envs: ${ENVIRONMENTS.join(', ')}`);
  }
  const of = (env: Environment) => (envs[env] === undefined ? version : versionAt(envs[env], where('envs', env)));
  const envVersions = { dev: of('dev'), staging: of('staging'), prod: of('prod') };
  return {
    version,
    envs: envVersions,
    ...(section.serviceNodePortRange === undefined
      ? {}
      : { serviceNodePortRange: portRangeAt(section.serviceNodePortRange, where('serviceNodePortRange')) }),
    ...(section.namespaces === undefined ? {} : { namespaces: declaredNamespaces(root) }),
  };
}

/**
 * The settings, once every version they name has its schema set on this machine (setup makes
 * them); a missing set is a usage error naming the field and the command that makes it.
 */
export function requireKubernetesSets(root: string): KubernetesSettings {
  const settings = kubernetesSettings(root);
  const named: [string[], string][] = [
    [['kubernetes', 'version'], settings.version],
    ...ENVIRONMENTS.map((e): [string[], string] => [['kubernetes', 'envs', e], settings.envs[e]]),
  ];
  for (const [path, version] of named) {
    try {
      schemaLocations(version);
    } catch (err) {
      throw new UsageError(`${configLocation(root, path)}: ${path.join('.')}: ${(err as Error).message}`);
    }
  }
  return settings;
}

/**
 * What a check by an API server of `serverVersion` (`v1.36.3`) cannot say for the given envs: one
 * line for each env whose clusters run another minor version.
 */
export function serverVersionNotes(settings: KubernetesSettings, serverVersion: string, envs: readonly Environment[] = ENVIRONMENTS): string[] {
  const minor = (v: string) => /^v?(\d+\.\d+)/.exec(v)?.[1];
  const server = minor(serverVersion);
  if (!server) return [];
  return envs
    .filter((e) => minor(settings.envs[e]) !== server)
    .map(
      (e) =>
        `${e} runs Kubernetes ${minor(settings.envs[e])}, this server ${server}: what ${minor(settings.envs[e])} does not serve is reported by validate and the pipeline, not here`,
    );
}
