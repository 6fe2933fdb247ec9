import { lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ENVIRONMENTS, isDnsLabel, isDnsSubdomain, isPlainObject, nearest, type PolicySettings } from '@strata/core';
import { ARGOCD_TRACKING_METHODS, type ArgoCdTrackingMethod } from '@strata/core/argocd';
import { UsageError } from './errors.ts';
import { jsonKeys, type KeyPlace } from './json-keys.ts';
import { Layout } from './layout.ts';
import { outsideRoot } from './repository-files.ts';

/** Per-rule severities per env, as `strata.config.json` and an app's policy give them. */
export type SeveritySettings = NonNullable<PolicySettings['severity']>;

/**
 * `strata.config.json` as read: each section's values are checked by the package that owns it (the
 * gitops package checks `gitops`), its keys here, where the file's lines are known. A top-level key
 * that is no section and looks like none (`$schema` for an editor, say) is kept as it is.
 */
export interface ProjectConfig {
  readonly policy?: { readonly severity?: SeveritySettings };
  readonly gitops?: unknown;
  readonly kubernetes?: unknown;
  readonly [section: string]: unknown;
}

/** The sections of strata.config.json and the keys each one takes; the owners of the sections read these lists too. */
export const CONFIG_SECTIONS = {
  policy: ['severity'],
  gitops: [
    'consumer',
    'repoURL',
    'targetRevision',
    'argocdNamespace',
    'server',
    'cluster',
    'fluxNamespace',
    'manualSync',
    'resourceTrackingMethod',
    'installationID',
    'path',
  ],
  kubernetes: ['version', 'envs', 'serviceNodePortRange', 'namespaces', 'priorityClasses', 'runtimeClasses'],
} as const satisfies Record<string, readonly string[]>;

/** The levels a rule can be set to in an env. */
export const SEVERITY_LEVELS = ['error', 'warning', 'off'] as const;

/** A key path of strata.config.json, as written in messages: `policy.severity.require-probes`. */
const dotted = (path: readonly string[]) => path.join('.');

/** A parsed strata.config.json with the line and column of each key, by key path. */
interface Located {
  readonly value: unknown;
  readonly positions: ReadonlyMap<string, KeyPlace>;
}

const located = new Map<string, { text: string; parsed: Located }>();

/** Parses the file as JSON, then as YAML (a superset) for the places of its keys and its duplicate keys, which JSON.parse drops silently. */
function parseConfig(text: string): Located {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${Layout.configFile}: not valid JSON: ${(err as Error).message}`);
  }
  const { places, duplicate } = jsonKeys(text);
  if (duplicate) {
    const { path, line, column, first } = duplicate;
    throw new UsageError(
      `${Layout.configFile}:${line}:${column}: ${path}: written twice (first at line ${first}); JSON keeps only the last, so merge the two into one`,
    );
  }
  return { value, positions: places };
}

/** `strata.config.json:<line>:<column>` for a key path, or the file alone when the key is not written. */
function where(config: Located, path: readonly string[]): string {
  const pos = config.positions.get(dotted(path));
  return pos ? `${Layout.configFile}:${pos.line}:${pos.column}` : Layout.configFile;
}

/** `; did you mean <key>?` when a known key is close to `key`, else the known keys. */
function hint(key: string, known: readonly string[], what: string): string {
  const near = nearest(key, known);
  return near ? `; did you mean ${near}?` : `; known ${what}: ${known.join(', ')}`;
}

/**
 * The keys of the known sections, and top-level keys close to a section's name: a misspelt key would
 * otherwise be ignored and its setting silently lost (prod checked against the default Kubernetes
 * version, a severity never applied).
 */
function checkKeys(config: Located): void {
  const value = config.value as Record<string, unknown>;
  const sections = Object.keys(CONFIG_SECTIONS);
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(CONFIG_SECTIONS, key)) continue;
    // Kept for no tool: a JavaScript reader that copies it sets the object's prototype instead.
    // Refused as every key a section does not take is.
    if (key === '__proto__') throw new UsageError(`${where(config, [key])}: ${key}: unknown section${hint(key, sections, 'sections')}`);
    const near = nearest(key, sections);
    if (near) throw new UsageError(`${where(config, [key])}: ${key}: unknown section; did you mean ${near}?`);
  }
  for (const [section, keys] of Object.entries(CONFIG_SECTIONS)) {
    const body = value[section];
    if (body === undefined) continue;
    if (!isPlainObject(body)) throw new UsageError(`${where(config, [section])}: ${section}: must be an object of settings (${keys.join(', ')})`);
    for (const key of Object.keys(body)) {
      if (!(keys as readonly string[]).includes(key))
        throw new UsageError(`${where(config, [section, key])}: ${section}.${key}: unknown setting${hint(key, keys, 'settings')}`);
    }
  }
  const envs = (value.kubernetes as Record<string, unknown> | undefined)?.envs;
  if (isPlainObject(envs)) {
    for (const env of Object.keys(envs)) {
      if (!(ENVIRONMENTS as readonly string[]).includes(env))
        throw new UsageError(`${where(config, ['kubernetes', 'envs', env])}: kubernetes.envs.${env}: unknown env${hint(env, ENVIRONMENTS, 'envs')}`);
    }
  }
  const severity = (value.policy as Record<string, unknown> | undefined)?.severity;
  if (severity === undefined) return;
  const example = '{"require-probes": {"dev": "warning"}}';
  if (!isPlainObject(severity))
    throw new UsageError(`${where(config, ['policy', 'severity'])}: policy.severity: must map rule ids to envs and levels, such as ${example}`);
  for (const [rule, perEnv] of Object.entries(severity)) {
    const path = ['policy', 'severity', rule];
    if (!isPlainObject(perEnv))
      throw new UsageError(
        `${where(config, path)}: ${dotted(path)}: must map envs to levels, such as {"dev": "warning"}; got ${JSON.stringify(perEnv)}`,
      );
    for (const [env, level] of Object.entries(perEnv)) {
      if (!(ENVIRONMENTS as readonly string[]).includes(env))
        throw new UsageError(`${where(config, [...path, env])}: ${dotted([...path, env])}: unknown env${hint(env, ENVIRONMENTS, 'envs')}`);
      if (!(SEVERITY_LEVELS as readonly unknown[]).includes(level))
        throw new UsageError(
          `${where(config, [...path, env])}: ${dotted([...path, env])}: ${JSON.stringify(level)} is not a level; use ${SEVERITY_LEVELS.map((l) => `"${l}"`).join(', ')}`,
        );
    }
  }
}

/**
 * Refuses, in one line, a strata.config.json that is a symbolic link leading outside the repository
 * or to nothing: the settings of every command would then be this machine's, and a clone, which
 * lacks the target, would be told to create a file it has.
 */
function refuseLinkedConfig(root: string): void {
  const file = join(root, Layout.configFile);
  try {
    if (!lstatSync(file).isSymbolicLink()) return;
  } catch {
    return;
  }
  const target = resolve(dirname(file), readlinkSync(file));
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    throw new UsageError(
      `${Layout.configFile}: a symbolic link to ${target}, which does not exist (a dangling link); put the settings file in the repository in place of the link`,
    );
  }
  if (outsideRoot(realpathSync(root), real))
    throw new UsageError(
      `${Layout.configFile}: a symbolic link to ${real}, outside the repository: a clone of the repository lacks it, and every command takes its settings from it; copy the file into the repository in place of the link`,
    );
}

function readLocated(root: string): Located | undefined {
  refuseLinkedConfig(root);
  let text: string;
  try {
    text = readFileSync(join(root, Layout.configFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const cached = located.get(root);
  if (cached?.text === text) return cached.parsed;
  const parsed = parseConfig(text);
  if (!isPlainObject(parsed.value)) throw new UsageError(`${Layout.configFile}: must be a JSON object with sections such as "policy" and "gitops"`);
  checkKeys(parsed);
  located.set(root, { text, parsed });
  return parsed;
}

/**
 * Reads `<root>/strata.config.json`, the one reader of it; undefined when there is none. Not JSON,
 * not an object, a key written twice, a misspelt section or a key a section does not take is a
 * one-line `UsageError` naming the file, the key's line and the key it was likely meant to be.
 */
export function readConfig(root: string): ProjectConfig | undefined {
  return readLocated(root)?.value as ProjectConfig | undefined;
}

/**
 * Where a key path of strata.config.json is written, as `strata.config.json:<line>:<column>` (the
 * file alone when it is not), for the messages of the packages that check a section's values.
 */
export function configLocation(root: string, path: readonly string[]): string {
  const config = readLocated(root);
  return config ? where(config, path) : Layout.configFile;
}

/**
 * The namespaces every env's clusters have although no app creates them, which the platform makes:
 * `kubernetes.namespaces` of strata.config.json (`["monitoring"]`), sorted; none without it. Read
 * here for every package that needs to know which namespaces exist (validate's namespace-exists
 * rule, the generated AppProjects); a value that is no list of DNS-1123 labels is a one-line
 * `UsageError` at its line.
 */
export function declaredNamespaces(root: string): string[] {
  const section = readConfig(root)?.kubernetes;
  const value = isPlainObject(section) ? section.namespaces : undefined;
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !isDnsLabel(v)))
    throw new UsageError(
      `${configLocation(root, ['kubernetes', 'namespaces'])}: kubernetes.namespaces: must list the namespaces the platform creates in every env's clusters, each a DNS-1123 label, such as ["monitoring"]; got ${JSON.stringify(value)}`,
    );
  return [...new Set(value as string[])].sort();
}

/**
 * The PriorityClasses (`kubernetes.priorityClasses`) or RuntimeClasses (`kubernetes.runtimeClasses`)
 * of strata.config.json: those every env's clusters have although no app creates them, which the
 * platform makes (`["high-priority"]`), sorted; undefined when the key is not there, which leaves
 * what the clusters hold unknown. A value that is no list of DNS-1123 subdomains is a one-line
 * `UsageError` at its line.
 */
export function declaredClasses(root: string, key: 'priorityClasses' | 'runtimeClasses'): string[] | undefined {
  const section = readConfig(root)?.kubernetes;
  const value = isPlainObject(section) ? section[key] : undefined;
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !isDnsSubdomain(v)))
    throw new UsageError(
      `${configLocation(root, ['kubernetes', key])}: kubernetes.${key}: must list the ${key === 'priorityClasses' ? 'PriorityClasses' : 'RuntimeClasses'} the platform creates in every env's clusters, each a DNS-1123 subdomain, such as ["${key === 'priorityClasses' ? 'high-priority' : 'gvisor'}"]; got ${JSON.stringify(value)}`,
    );
  return [...new Set(value as string[])].sort();
}

/** The project-wide policy severities (`policy.severity`), empty when none are set. */
export function projectSeverity(root: string): SeveritySettings {
  return readConfig(root)?.policy?.severity ?? {};
}

/**
 * Which GitOps controllers apply the tree (`gitops.consumer`): Argo CD unless it says "flux" or
 * "both", as @strata/gitops reads it (which also refuses a value that is neither). The checks that
 * model what Argo CD alone does to an object (a Skip hook it never applies, a hook it names from its
 * generateName) hold only where Flux does not apply the same object as it is.
 */
export function gitopsConsumers(root: string): { readonly argocd: boolean; readonly flux: boolean; readonly setting: string } {
  const gitops = readConfig(root)?.gitops;
  const consumer = isPlainObject(gitops) && typeof gitops.consumer === 'string' ? gitops.consumer : 'argocd';
  return { argocd: consumer !== 'flux', flux: consumer === 'flux' || consumer === 'both', setting: consumer };
}

/**
 * The words for a value of `gitops.resourceTrackingMethod` that Argo CD does not know, or undefined
 * for one it does: @strata/gitops says them of the settings it parses, `argoCdTrackingMethod` of the file.
 */
export function trackingMethodRefusal(value: unknown): string | undefined {
  if ((ARGOCD_TRACKING_METHODS as readonly unknown[]).includes(value)) return undefined;
  const near = typeof value === 'string' ? nearest(value, ARGOCD_TRACKING_METHODS) : undefined;
  return (
    `${JSON.stringify(value)} is not an Argo CD tracking method; write the clusters' application.resourceTrackingMethod of argocd-cm, ` +
    `one of ${ARGOCD_TRACKING_METHODS.map((m) => `"${m}"`).join(', ')}${near ? ` (did you mean "${near}"?)` : ''}`
  );
}

/**
 * How the clusters' Argo CD marks the objects it applies (`gitops.resourceTrackingMethod` of
 * strata.config.json, as `application.resourceTrackingMethod` of its argocd-cm says): "annotation",
 * Argo CD 3's default, unless it says "label" or "annotation+label". What it writes into an object
 * counts in whether the object fits client-side apply. A value Argo CD does not know is a one-line
 * `UsageError` at its line.
 */
export function argoCdTrackingMethod(root: string): ArgoCdTrackingMethod {
  const gitops = readConfig(root)?.gitops;
  const value = isPlainObject(gitops) ? gitops.resourceTrackingMethod : undefined;
  if (value === undefined) return 'annotation';
  const refusal = trackingMethodRefusal(value);
  if (refusal) throw new UsageError(`${configLocation(root, ['gitops', 'resourceTrackingMethod'])}: gitops.resourceTrackingMethod: ${refusal}`);
  return value as ArgoCdTrackingMethod;
}

/**
 * The words for a value of `gitops.installationID` that Argo CD cannot take, or undefined for one it
 * can: @strata/gitops says them of the settings it parses, `argoCdInstallationID` of the file.
 */
export function installationIdRefusal(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return undefined;
  return `${JSON.stringify(value)} is not an Argo CD installation ID; write the clusters' installationID of argocd-cm, a non-empty string, or leave the key out where it sets none`;
}

/**
 * The installation ID of the clusters' Argo CD (`gitops.installationID` of strata.config.json, as
 * `installationID` of its argocd-cm says), or undefined where it sets none (the default). Where it
 * is set, Argo CD's annotation tracking writes it into every object it applies, as the
 * `argocd.argoproj.io/installation-id` annotation, which counts in whether the object fits
 * client-side apply. A value Argo CD cannot take is a one-line `UsageError` at its line.
 */
export function argoCdInstallationID(root: string): string | undefined {
  const gitops = readConfig(root)?.gitops;
  const value = isPlainObject(gitops) ? gitops.installationID : undefined;
  if (value === undefined) return undefined;
  const refusal = installationIdRefusal(value);
  if (refusal) throw new UsageError(`${configLocation(root, ['gitops', 'installationID'])}: gitops.installationID: ${refusal}`);
  return value as string;
}
