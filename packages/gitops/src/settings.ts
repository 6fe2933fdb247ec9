import { ENVIRONMENTS, isDnsLabel, isPlainObject, type Environment } from '@strata/core';
import { CONFIG_SECTIONS, Layout, readConfig, UsageError } from '@strata/project';

/** Which GitOps controllers `gitops/` is written for. */
export const CONSUMERS = ['argocd', 'flux', 'both'] as const;
export type GitopsConsumer = (typeof CONSUMERS)[number];

/** Where Argo CD or Flux reads the repository from; the `gitops` section of `strata.config.json`. */
export interface GitopsSettings {
  /** Argo CD files (`gitops/<env>/`), Flux files (`gitops/flux/<env>/`) or both. @default "argocd" */
  readonly consumer?: GitopsConsumer;
  /** The URL Argo CD clones; also the only source repo each AppProject allows. */
  readonly repoURL: string;
  /** The branch, tag or commit every Application tracks. */
  readonly targetRevision: string;
  /** Namespace Argo CD runs in, where AppProjects and ApplicationSets must live. @default "argocd" */
  readonly argocdNamespace?: string;
  /**
   * The API server each env's Applications deploy to: one for every env, or one per env
   * (`{"dev": "https://dev.k8s.example.com", ...}`, an env left out gets the default). Set, it says
   * that one Argo CD syncs every env (`kubectl apply -k gitops` on its cluster), and envs that name
   * the same server share that cluster. Unset, each env's Argo CD runs in the env's own cluster
   * (`kubectl apply -k gitops/<env>` there).
   * @default "https://kubernetes.default.svc" (the cluster the env's own Argo CD runs in)
   */
  readonly server?: string | Readonly<Partial<Record<Environment, string>>>;
  /** Namespace the Flux controllers run in, where the GitRepository and Kustomizations live. @default "flux-system" */
  readonly fluxNamespace?: string;
  /**
   * The envs whose changes a person syncs after the merge, the promotion gate: Argo CD gets no
   * automated sync there, Flux suspended Kustomizations to resume. @default ["prod"]
   */
  readonly manualSync?: readonly Environment[];
}

/** The envs synced by hand when the settings name none. */
export const DEFAULT_MANUAL_SYNC: readonly Environment[] = ['prod'];

/** Whether a person syncs `env` (its changes wait after the merge), for Argo CD and Flux alike. */
export const syncsByHand = (settings: GitopsSettings, env: Environment) => (settings.manualSync ?? DEFAULT_MANUAL_SYNC).includes(env);

/** Whether the settings ask for Argo CD files. */
export const wantsArgoCD = (settings: GitopsSettings) => (settings.consumer ?? 'argocd') !== 'flux';
/** Whether the settings ask for Flux files. */
export const wantsFlux = (settings: GitopsSettings) => settings.consumer === 'flux' || settings.consumer === 'both';

export const CONFIG_FILE = Layout.configFile;

const KNOWN: readonly string[] = CONFIG_SECTIONS.gitops;

/**
 * Reads the `gitops` settings from `<root>/strata.config.json`. Every problem is an error that names
 * the file and the field, and says what to write instead.
 */
export function loadSettings(root: string): GitopsSettings {
  const config = readConfig(root);
  if (!config) {
    throw new UsageError(
      `${CONFIG_FILE}: not found at the repository root; create it with {"gitops": {"repoURL": "https://git.example.com/org/repo.git", "targetRevision": "main"}}`,
    );
  }
  if (!isPlainObject(config.gitops)) {
    throw new UsageError(`${CONFIG_FILE}: gitops: must be an object with repoURL and targetRevision`);
  }
  return parseSettings(config.gitops, `${CONFIG_FILE}: gitops`);
}

/** Checks a settings object; `where` prefixes every message. */
export function parseSettings(value: Record<string, unknown>, where = 'gitops'): GitopsSettings {
  for (const key of Object.keys(value)) {
    if (!KNOWN.includes(key)) throw new UsageError(`${where}.${key}: unknown setting; known settings: ${KNOWN.join(', ')}`);
  }
  const text = (key: string, required: boolean): string | undefined => {
    const v = value[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`${where}.${key}: must be a non-empty string`);
    return v;
  };
  const repoURL = text('repoURL', true)!;
  // Argo CD accepts https, ssh and scp-like git URLs; anything else is a typo that only fails at sync.
  if (!/^(https?:\/\/|ssh:\/\/|git@[^:]+:)/.test(repoURL)) {
    throw new UsageError(`${where}.repoURL: "${repoURL}" is not a git URL; use https://host/org/repo.git or git@host:org/repo.git`);
  }
  const consumer = value.consumer;
  if (consumer !== undefined && !(CONSUMERS as readonly unknown[]).includes(consumer)) {
    throw new UsageError(
      `${where}.consumer: ${JSON.stringify(consumer)} is not a GitOps consumer; use one of ${CONSUMERS.map((c) => `"${c}"`).join(', ')}`,
    );
  }
  const namespace = (key: string) => {
    const v = text(key, false);
    if (v !== undefined && !isDnsLabel(v)) throw new UsageError(`${where}.${key}: "${v}" is not a namespace name (a lower-case DNS label)`);
    return v;
  };
  const argocdNamespace = namespace('argocdNamespace');
  const fluxNamespace = namespace('fluxNamespace');
  const server = serverSetting(value.server, `${where}.server`);
  const manualSync = value.manualSync;
  const envs = ENVIRONMENTS.map((e) => `"${e}"`).join(', ');
  if (manualSync !== undefined) {
    if (!Array.isArray(manualSync))
      throw new UsageError(`${where}.manualSync: must be a list of environments, e.g. ["prod"] (or [] to sync every env automatically)`);
    for (const env of manualSync) {
      if (!(ENVIRONMENTS as readonly unknown[]).includes(env))
        throw new UsageError(`${where}.manualSync: ${JSON.stringify(env)} is not an environment; use some of ${envs}`);
    }
  }
  const targetRevision = text('targetRevision', true)!;
  if (!isRevision(targetRevision)) {
    throw new UsageError(
      `${where}.targetRevision: "${targetRevision}" is not a git branch, tag or commit (git check-ref-format refuses it); use e.g. "main", "v1.4.0" or a commit SHA`,
    );
  }
  if (consumer === 'flux' || consumer === 'both') {
    // Flux applies to the cluster it runs in and checks out a named branch, tag or commit: a
    // setting it cannot follow would be ignored silently at sync time.
    if (server !== undefined) {
      throw new UsageError(`${where}.server: Flux applies to the cluster it runs in; remove server, or set consumer to "argocd"`);
    }
    if (targetRevision === 'HEAD') {
      throw new UsageError(`${where}.targetRevision: Flux cannot follow "HEAD"; name the branch, e.g. "main"`);
    }
  }
  return {
    ...(consumer !== undefined ? { consumer: consumer as GitopsConsumer } : {}),
    repoURL,
    targetRevision,
    ...(argocdNamespace !== undefined ? { argocdNamespace } : {}),
    ...(server !== undefined ? { server } : {}),
    ...(fluxNamespace !== undefined ? { fluxNamespace } : {}),
    // In promotion order, each once, so that the same envs always plan the same files.
    ...(manualSync !== undefined ? { manualSync: ENVIRONMENTS.filter((e) => (manualSync as unknown[]).includes(e)) } : {}),
  };
}

/** `server`: one URL, or an object of URLs by env. */
function serverSetting(value: unknown, where: string): GitopsSettings['server'] {
  if (value === undefined) return undefined;
  const url = (v: unknown, at: string): string => {
    if (typeof v !== 'string' || !isServerUrl(v)) {
      throw new UsageError(`${at}: ${JSON.stringify(v)} is not an API server URL; use https://host[:port] (default https://kubernetes.default.svc)`);
    }
    return v;
  };
  if (!isPlainObject(value)) return url(value, where);
  const byEnv: Partial<Record<Environment, string>> = {};
  for (const [env, v] of Object.entries(value)) {
    if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
      throw new UsageError(`${where}.${env}: not an environment; name the server of some of ${ENVIRONMENTS.map((e) => `"${e}"`).join(', ')}`);
    }
    byEnv[env as Environment] = url(v, `${where}.${env}`);
  }
  // In promotion order, so that the same settings always plan the same files.
  return Object.fromEntries(ENVIRONMENTS.filter((e) => byEnv[e] !== undefined).map((e) => [e, byEnv[e]]));
}

/** The API server of the cluster Argo CD runs in, as an Application names it. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/** The API server `env`'s Applications deploy to. */
export function destinationServer(settings: GitopsSettings, env: Environment): string {
  const server = settings.server;
  return (typeof server === 'string' ? server : server?.[env]) ?? IN_CLUSTER_SERVER;
}

/**
 * Whether one Argo CD syncs every env: `gitops.server` is set, so the Applications name their
 * clusters, and `gitops/kustomization.yaml` bootstraps them all into that Argo CD. Unset, each env's
 * Argo CD runs in the env's own cluster and deploys there.
 */
export const oneArgoCD = (settings: GitopsSettings) => settings.server !== undefined;

/**
 * The envs that deploy to one cluster, by its server, where more than one does: with one Argo CD
 * for every env, those whose destination is the same server. Empty when each env has its own Argo CD.
 */
export function sharedClusters(settings: GitopsSettings): { readonly server: string; readonly envs: readonly Environment[] }[] {
  if (!oneArgoCD(settings)) return [];
  const byServer = new Map<string, Environment[]>();
  for (const env of ENVIRONMENTS) {
    const server = destinationServer(settings, env);
    byServer.set(server, [...(byServer.get(server) ?? []), env]);
  }
  return [...byServer].filter(([, envs]) => envs.length > 1).map(([server, envs]) => ({ server, envs }));
}

/** An http(s) URL of a host, as Argo CD names a cluster: no credentials, query or fragment (a path is allowed, as a proxy's). */
function isServerUrl(value: string): boolean {
  if (!URL.canParse(value) || /\s/.test(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && !url.username && !url.password && !url.search && !url.hash;
}

/**
 * A revision Argo CD and Flux can check out: `HEAD`, or a name git takes for a branch or tag
 * (the rules of `git check-ref-format --branch`), which a commit SHA is too.
 */
function isRevision(value: string): boolean {
  if (value === 'HEAD') return true;
  return !(
    value.startsWith('-') ||
    value.startsWith('/') ||
    value.endsWith('/') ||
    value.endsWith('.') ||
    value === '@' ||
    /[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\//.test(value) ||
    value.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))
  );
}
