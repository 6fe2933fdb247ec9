import { isDnsLabel, isPlainObject } from '@strata/core';
import { Layout, readConfig, UsageError } from '@strata/project';

/** Where Argo CD reads the repository from; the `gitops` section of `strata.config.json`. */
export interface GitopsSettings {
  /** The URL Argo CD clones; also the only source repo each AppProject allows. */
  readonly repoURL: string;
  /** The branch, tag or commit every Application tracks. */
  readonly targetRevision: string;
  /** Namespace Argo CD runs in, where AppProjects and ApplicationSets must live. @default "argocd" */
  readonly argocdNamespace?: string;
  /** API server every Application deploys to. @default "https://kubernetes.default.svc" (the cluster Argo CD runs in) */
  readonly server?: string;
}

export const CONFIG_FILE = Layout.configFile;

const KNOWN = ['repoURL', 'targetRevision', 'argocdNamespace', 'server'];

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
  const argocdNamespace = text('argocdNamespace', false);
  if (argocdNamespace !== undefined && !isDnsLabel(argocdNamespace)) {
    throw new UsageError(`${where}.argocdNamespace: "${argocdNamespace}" is not a namespace name (a lower-case DNS label)`);
  }
  const server = text('server', false);
  return {
    repoURL,
    targetRevision: text('targetRevision', true)!,
    ...(argocdNamespace !== undefined ? { argocdNamespace } : {}),
    ...(server !== undefined ? { server } : {}),
  };
}
