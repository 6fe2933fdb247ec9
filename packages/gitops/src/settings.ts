import { ENVIRONMENTS, isDnsLabel, isPlainObject, type Environment } from '@strata/core';
import type { ArgoCdTrackingMethod } from '@strata/core/argocd';
import { CONFIG_SECTIONS, installationIdRefusal, Layout, readConfig, runGit, trackingMethodRefusal, UsageError } from '@strata/project';

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
  /**
   * The name each env's cluster is registered under in Argo CD (`argocd cluster add --name`, the
   * `name` of its cluster secret; `in-cluster` is Argo CD's own), for Applications that name their
   * cluster as `destination.name` instead of by server URL: one for every env, or one per env, as
   * `server`. An env takes a server or a name, never both; set, one Argo CD syncs every env, as with
   * `server`.
   * @default the env's `server`
   */
  readonly cluster?: string | Readonly<Partial<Record<Environment, string>>>;
  /** Namespace the Flux controllers run in, where the GitRepository and Kustomizations live. @default "flux-system" */
  readonly fluxNamespace?: string;
  /**
   * The envs whose changes a person syncs after the merge, the promotion gate: Argo CD gets no
   * automated sync there, Flux suspended Kustomizations to resume. @default ["prod"]
   */
  readonly manualSync?: readonly Environment[];
  /**
   * How the clusters' Argo CD marks the objects it applies, as `application.resourceTrackingMethod`
   * of its argocd-cm says (Strata writes no argocd-cm): the `argocd.argoproj.io/tracking-id`
   * annotation, the `app.kubernetes.io/instance` label, or both. What it writes counts in whether an
   * object fits client-side apply, so in which Applications sync server-side.
   * @default "annotation", Argo CD 3's default
   */
  readonly resourceTrackingMethod?: ArgoCdTrackingMethod;
  /**
   * The installation ID of the clusters' Argo CD, as `installationID` of its argocd-cm says: where it
   * is set, annotation tracking (`annotation`, `annotation+label`) also writes it into each object as
   * the `argocd.argoproj.io/installation-id` annotation, which counts in whether the object fits
   * client-side apply, so in which Applications sync server-side.
   * @default none, as Argo CD sets none
   */
  readonly installationID?: string;
  /**
   * The workspace's folder inside its git repository (`"deploy"` for a workspace in `deploy/`):
   * Argo CD and Flux read every path from the repository's top folder, so each path in gitops/
   * starts with it. generate and check refuse a workspace in a subfolder that this does not name.
   * @default "" (the workspace is the repository's top folder)
   */
  readonly path?: string;
}

/** `path`, a path of the workspace, as Argo CD and Flux find it in the repository (see GitopsSettings.path). */
export const inRepository = (settings: Pick<GitopsSettings, 'path'>, path: string) => (settings.path ? `${settings.path}/${path}` : path);

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
  const settings = parseSettings(config.gitops, `${CONFIG_FILE}: gitops`);
  const prefix = workspacePrefix(root);
  const path = settings.path ?? '';
  if (prefix !== undefined && prefix !== path) {
    const where = `${CONFIG_FILE}: gitops.path`;
    // A folder no setting can name: the way out is another folder, not another value.
    const unnamable = prefix === '' ? undefined : pathProblem(prefix);
    if (unnamable)
      throw new UsageError(
        `${where}: the workspace is the folder ${prefix}/ of its git repository, whose name ${unnamable}; rename the folder, or move the workspace to one whose path holds no such character`,
      );
    if (prefix === '')
      throw new UsageError(`${where}: ${JSON.stringify(path)}, but the workspace is the top folder of its git repository; remove path`);
    const fix = `set "path": ${JSON.stringify(prefix)}`;
    throw new UsageError(
      path === ''
        ? // The enclosing repository may not be the one it is deployed from (one of the home folder, say).
          `${where}: the workspace is the folder ${prefix}/ of its git repository, and Argo CD and Flux read the paths in gitops/ from the repository's top folder; ${fix}, or make the workspace a repository of its own (git init) if it is not deployed from that one`
        : `${where}: ${JSON.stringify(path)}, but the workspace is the folder ${prefix}/ of its git repository; ${fix}`,
    );
  }
  return settings;
}

/**
 * The workspace's folder inside its git repository (`git rev-parse --show-prefix`, without the
 * trailing slash; "" at the top). Undefined outside a repository, or where git cannot answer (not
 * installed, or refusing the repository): nothing is checked there, as generate needs no git.
 */
function workspacePrefix(root: string): string | undefined {
  try {
    const answer = runGit(root, ['rev-parse', '--show-prefix'], { outsideRepository: 'undefined' });
    return answer?.status === 0 ? answer.stdout.trim().replace(/\/+$/, '') : undefined;
  } catch {
    return undefined;
  }
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
  goTemplateRefusal(where, 'repoURL', repoURL, 'write the URL git clones');
  const consumer = value.consumer;
  if (consumer !== undefined && !(CONSUMERS as readonly unknown[]).includes(consumer)) {
    throw new UsageError(
      `${where}.consumer: ${JSON.stringify(consumer)} is not a GitOps consumer; use one of ${CONSUMERS.map((c) => `"${c}"`).join(', ')}`,
    );
  }
  const flux = consumer === 'flux' || consumer === 'both';
  // The AppProject lists repoURL in spec.sourceRepos, and Argo CD reads each entry as a glob pattern
  // (gobwas/glob, after git.NormalizeGitURL) that the Application's repoURL must match: the brackets
  // of an IPv6 host are a character class there, so the URL never matches itself and the project
  // refuses every Application ("application repo ... is not permitted in project"). No escaped form
  // helps: NormalizeGitURL empties a pattern with "\[", "[[]" or "%5B" (net/url refuses each host).
  // (The scp-like git@[::1]:org/repo.git go-git, Argo CD's git client, cannot even read: it takes the
  // host up to the first ":".) Flux compares no pattern and takes the ssh:// or https:// URL as written.
  if (consumer !== 'flux' && (SCP_LIKE_IPV6.test(repoURL) || URL_IPV6.test(repoURL))) {
    throw new UsageError(
      `${where}.repoURL: ${JSON.stringify(repoURL)} has an IPv6 host, which Argo CD cannot take: its AppProject matches sourceRepos as glob patterns, where "[...]" is a character class, so the project would refuse every Application; give the host a DNS name and write that`,
    );
  }
  // git's scp-like form holds an IPv6 host in brackets (git@[::1]:org/repo.git), but Flux takes no
  // scp-like URL: only the ssh:// form reaches such a host.
  const ipv6 = SCP_LIKE_IPV6.exec(repoURL);
  if (ipv6) {
    const path = ipv6[3]!.startsWith('/') ? ipv6[3]! : `/${ipv6[3]!}`;
    throw new UsageError(
      `${where}.repoURL: ${JSON.stringify(repoURL)} has an IPv6 host in the scp-like form, which Flux's GitRepository refuses (its url must start with http://, https:// or ssh://); write it as "ssh://${ipv6[1]!}@[${urlHost(ipv6[2]!)}]${path}"`,
    );
  }
  // Go's net/url, which go-git and Flux parse the URL with, reads an IPv6 zone (the interface of a
  // link-local address) only percent-encoded, [fe80::1%25eth0] (RFC 6874), and refuses a bare "%"
  // ("invalid URL escape"); git decodes the "%25" too. The zone names an interface of the pod that
  // clones (Argo CD's repo-server, Flux's source-controller), not of the machine Strata runs on.
  const bareZone = BARE_ZONE.exec(repoURL);
  if (bareZone) {
    const write = `${bareZone[1]!}${urlHost(bareZone[2]!)}${repoURL.slice(bareZone[0].length)}`;
    if (gitUrlProblem(write) === undefined) {
      throw new UsageError(
        `${where}.repoURL: ${JSON.stringify(repoURL)} has an IPv6 zone after a bare "%", which Go's URL parser (Flux's git client) refuses; write the "%" as "%25": "${write}"`,
      );
    }
  }
  // Argo CD accepts https, ssh and scp-like git URLs; anything else is a typo that only fails at sync.
  const urlProblem = gitUrlProblem(repoURL);
  if (urlProblem !== undefined) {
    const forms = flux ? 'https://host/org/repo.git or ssh://git@host/org/repo.git' : 'https://host/org/repo.git or git@host:org/repo.git';
    throw new UsageError(`${where}.repoURL: ${JSON.stringify(repoURL)} is not a git URL${urlProblem ? `: ${urlProblem}` : ''}; use ${forms}`);
  }
  // Flux's GitRepository takes only a URL with a scheme (its CRD: spec.url matches ^(http|https|ssh)://):
  // the API server refuses the scp-like form, and with it the env's whole Flux folder.
  const scp = SCP_LIKE.exec(repoURL);
  if (flux && scp) {
    const path = scp[3]!.startsWith('/') ? scp[3]! : `/${scp[3]!}`;
    throw new UsageError(
      `${where}.repoURL: ${JSON.stringify(repoURL)} is scp-like, which Flux's GitRepository refuses (its url must start with http://, https:// or ssh://); write it as "ssh://${scp[1]!}@${scp[2]!}${path}"`,
    );
  }
  const trackingMethod = value.resourceTrackingMethod;
  const trackingRefused = trackingMethod === undefined ? undefined : trackingMethodRefusal(trackingMethod);
  if (trackingRefused) throw new UsageError(`${where}.resourceTrackingMethod: ${trackingRefused}`);
  const installationID = value.installationID;
  const installationRefused = installationID === undefined ? undefined : installationIdRefusal(installationID);
  if (installationRefused) throw new UsageError(`${where}.installationID: ${installationRefused}`);
  const namespace = (key: string) => {
    const v = text(key, false);
    if (v !== undefined && !isDnsLabel(v)) throw new UsageError(`${where}.${key}: "${v}" is not a namespace name (a lower-case DNS label)`);
    return v;
  };
  const argocdNamespace = namespace('argocdNamespace');
  const fluxNamespace = namespace('fluxNamespace');
  const server = byEnvSetting(value.server, where, 'server', serverUrl);
  const cluster = byEnvSetting(value.cluster, where, 'cluster', clusterName);
  for (const env of ENVIRONMENTS) {
    // Argo CD refuses an Application with both (InvalidSpecError), and neither setting can be the one that wins.
    const url = perEnv(server, env);
    const name = perEnv(cluster, env);
    if (url === undefined || name === undefined) continue;
    const serverKey = typeof server === 'string' ? 'server' : `server.${env}`;
    const clusterKey = typeof cluster === 'string' ? 'cluster' : `cluster.${env}`;
    throw new UsageError(
      `${where}.${clusterKey}: ${env} deploys to the cluster named "${name}" here and to ${url} by gitops.${serverKey}; an Argo CD Application names its cluster by server URL or by name, never both: remove gitops.${serverKey} or gitops.${clusterKey}`,
    );
  }
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
  const path = workspacePath(value.path, `${where}.path`);
  const targetRevision = text('targetRevision', true)!;
  goTemplateRefusal(where, 'targetRevision', targetRevision, 'name the branch, tag or commit itself, e.g. "main"');
  if (!isRevision(targetRevision)) {
    throw new UsageError(
      `${where}.targetRevision: "${targetRevision}" is not a git branch, tag or commit (git check-ref-format refuses it); use e.g. "main", "v1.4.0" or a commit SHA`,
    );
  }
  if (consumer === 'flux' || consumer === 'both') {
    // Flux applies to the cluster it runs in and checks out a named branch, tag or commit: a
    // setting it cannot follow would be ignored silently at sync time.
    for (const [key, setting] of [
      ['server', server],
      ['cluster', cluster],
    ] as const) {
      if (setting !== undefined)
        throw new UsageError(`${where}.${key}: Flux applies to the cluster it runs in; remove ${key}, or set consumer to "argocd"`);
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
    ...(cluster !== undefined ? { cluster } : {}),
    ...(fluxNamespace !== undefined ? { fluxNamespace } : {}),
    // In promotion order, each once, so that the same envs always plan the same files.
    ...(manualSync !== undefined ? { manualSync: ENVIRONMENTS.filter((e) => (manualSync as unknown[]).includes(e)) } : {}),
    ...(trackingMethod !== undefined ? { resourceTrackingMethod: trackingMethod as ArgoCdTrackingMethod } : {}),
    ...(installationID !== undefined ? { installationID: installationID as string } : {}),
    ...(path ? { path } : {}),
  };
}

/** `gitops.path`: a relative folder of the repository, without its trailing slash ("" for the top folder). */
function workspacePath(value: unknown, at: string): string | undefined {
  if (value === undefined) return undefined;
  const path = typeof value === 'string' ? value.replace(/\/+$/, '') : undefined;
  const problem = path === undefined ? '' : path === '' ? undefined : pathProblem(path);
  if (problem !== undefined) {
    throw new UsageError(
      `${at}: ${JSON.stringify(value)} is not a folder of the repository${problem ? `: its name ${problem}` : ''}; write the workspace's folder from the repository's top, e.g. "deploy" (git rev-parse --show-prefix there), or "" for the top folder`,
    );
  }
  return path;
}

/**
 * Why the relative folder `path` cannot be written into gitops/: "" when it is no relative path of
 * folder names; what it holds when a name holds a character Argo CD's directory pattern (Go's
 * path.Match) or Flux's ignore rules (.gitignore) read as a wildcard, or a control character;
 * undefined when it can. A space or a letter of any script is a folder name like any other.
 */
function pathProblem(path: string): string | undefined {
  const parts = path.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) return '';
  const held = [...new Set(path.match(/[*?[\]\\]/g) ?? [])];
  if (held.length > 0)
    return `holds ${held.map((c) => JSON.stringify(c)).join(', ')}, which Argo CD's directory pattern and Flux's ignore rules read as a wildcard`;
  if (/\p{Cc}/u.test(path)) return 'holds a control character';
  return undefined;
}

/**
 * The ApplicationSet's template is a Go template (goTemplate: true), each string of it rendered per
 * Application: a `{{` in the repository or revision it is given would run there, sending each app to
 * another repository or branch than the generator scans and the AppProject allows, or failing every
 * Application of the env. No git URL or ref name holds one, so it is refused rather than escaped.
 */
function goTemplateRefusal(where: string, key: string, value: string, fix: string): void {
  if (!value.includes('{{')) return;
  throw new UsageError(
    `${where}.${key}: ${JSON.stringify(value)} holds "{{", which Argo CD runs as Go template syntax in each Application of the ApplicationSet (goTemplate); ${fix}`,
  );
}

/** git's scp-like form, `user@host:path`: the user, the host (no `/` or `:`) and the path. */
const SCP_LIKE = /^([^@/:\s]+)@([^@/:\s]+):(.*)$/s;

/** The scp-like form with a bracketed (IPv6) host, `user@[host]:path`: the user, the host inside the brackets and the path. */
const SCP_LIKE_IPV6 = /^([^@/:\s[\]]+)@\[([^\]\s/]*)\][:/](.*)$/s;

/** A URL with a scheme whose host is bracketed (an IPv6 address). */
const URL_IPV6 = /^(?:https?|ssh):\/\/(?:[^@/?#[]*@)?\[[^\]/]*\]/;

/** A URL with a scheme whose bracketed host holds a "%" not written "%25": up to the "[" and the host up to the "]". */
const BARE_ZONE = /^((?:https?|ssh):\/\/(?:[^@/[]*@)?\[)([^\]/%]*%(?!25)[^\]/]*)(?=\])/;

/** An IPv6 zone as a URL holds it (RFC 6874): percent-encoded after "%25". */
const URL_ZONE = /%25(?:[\w\-.~!$&'()*+,;=]|%[\dA-Fa-f]{2})+(?=\])/;

/** An IPv6 address as a URL's host holds it: its zone, if any, after "%25" and percent-encoded, as Go's net/url reads it. */
function urlHost(address: string): string {
  const zone = address.indexOf('%');
  return zone < 0 ? address : `${address.slice(0, zone)}%25${encodeURIComponent(address.slice(zone + 1))}`;
}

/**
 * Why `value` is no repository URL git and Argo CD clone: an http(s) or ssh URL, or the scp-like
 * `user@host:path`, each with a host and a path and no whitespace (git refuses a URL with a space,
 * even a trailing one: "URL using bad/illegal format"). Undefined for a git URL; empty when it is
 * not one of those forms at all.
 */
function gitUrlProblem(value: string): string | undefined {
  const scheme = /^(https?|ssh):\/\//.exec(value);
  const scp = scheme ? undefined : SCP_LIKE.exec(value);
  if (!scheme && !scp && !/^[^@/:\s]+@[^@/:\s]*:/.test(value)) return '';
  if (/[\s\p{Cc}]/u.test(value)) return 'it holds whitespace or a control character, which git refuses (URL using bad/illegal format)';
  if (scp) return scp[3]!.replace(/^\/+/, '') === '' ? 'it names no repository path after the host' : undefined;
  if (!scheme) return 'it names no host before the ":"';
  const rest = value.slice(scheme[0].length);
  if (rest.startsWith('@')) return 'it names no user before the "@"';
  if (rest === '' || rest.startsWith('/')) return 'it names no host';
  // WHATWG URLs take no IPv6 zone: the address and port are checked without it.
  const authority = /^[^/?#]*/.exec(rest)![0];
  const unzoned = `${scheme[0]}${authority.replace(URL_ZONE, '')}${rest.slice(authority.length)}`;
  if (!URL.canParse(unzoned)) return 'its host or port is not valid';
  const url = new URL(unzoned);
  if (url.hostname === '') return 'it names no host';
  if (url.pathname.replace(/^\/+/, '') === '') return 'it names no repository path after the host';
  return undefined;
}

type ByEnv = string | Readonly<Partial<Record<Environment, string>>>;

/** A setting's value for `env`: the one for every env, or the env's own. */
const perEnv = (setting: ByEnv | undefined, env: Environment) => (typeof setting === 'string' ? setting : setting?.[env]);

/** `server` or `cluster` (`key`): one value for every env, or an object of them by env, each checked by `check` (which throws at `at`). */
function byEnvSetting(value: unknown, where: string, key: string, check: (v: unknown, at: string) => string): ByEnv | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) return check(value, `${where}.${key}`);
  const byEnv: Partial<Record<Environment, string>> = {};
  for (const [env, v] of Object.entries(value)) {
    if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
      throw new UsageError(`${where}.${key}.${env}: not an environment; name the ${key} of some of ${ENVIRONMENTS.map((e) => `"${e}"`).join(', ')}`);
    }
    byEnv[env as Environment] = check(v, `${where}.${key}.${env}`);
  }
  // In promotion order, so that the same settings always plan the same files.
  return Object.fromEntries(ENVIRONMENTS.filter((e) => byEnv[e] !== undefined).map((e) => [e, byEnv[e]]));
}

function serverUrl(v: unknown, at: string): string {
  if (typeof v !== 'string' || !isServerUrl(v)) {
    throw new UsageError(`${at}: ${JSON.stringify(v)} is not an API server URL; use https://host[:port] (default https://kubernetes.default.svc)`);
  }
  if (isSlashedInClusterServer(v)) {
    throw new UsageError(
      `${at}: ${JSON.stringify(v)} is not Argo CD's own cluster, which it matches as ${IN_CLUSTER_SERVER} exactly (with the slash, Argo CD before 3.4 finds no cluster and the Application never syncs); write ${JSON.stringify(IN_CLUSTER_SERVER)}`,
    );
  }
  return v;
}

/**
 * A cluster name as Argo CD takes it: any non-empty string, since Argo CD looks the Application's
 * `destination.name` up among its clusters' names as written (an empty one means "no name", and
 * the Application then needs a server).
 */
function clusterName(v: unknown, at: string): string {
  if (typeof v !== 'string' || v === '') {
    throw new UsageError(
      `${at}: ${JSON.stringify(v)} is not a cluster name; use the name Argo CD lists for the cluster (argocd cluster list), e.g. "prod-eu" or "${IN_CLUSTER_NAME}"`,
    );
  }
  return v;
}

/** The API server of the cluster Argo CD runs in, as an Application names it. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
/** The name Argo CD gives the cluster it runs in (IN_CLUSTER_SERVER) unless someone renames it. */
export const IN_CLUSTER_NAME = 'in-cluster';

/** Where an Application deploys: a cluster's API server URL or its name in Argo CD, exactly one, as Argo CD requires. */
export type Destination = { readonly server: string; readonly name?: never } | { readonly name: string; readonly server?: never };

/** The cluster `env`'s Applications deploy to: its name where `gitops.cluster` gives one, else its server. */
export function destination(settings: GitopsSettings, env: Environment): Destination {
  const name = perEnv(settings.cluster, env);
  return name !== undefined ? { name } : { server: perEnv(settings.server, env) ?? IN_CLUSTER_SERVER };
}

/**
 * Whether one Argo CD syncs every env: `gitops.server` or `gitops.cluster` is set, so the
 * Applications name their clusters, and `gitops/kustomization.yaml` bootstraps them all into that
 * Argo CD. Unset, each env's Argo CD runs in the env's own cluster and deploys there.
 */
export const oneArgoCD = (settings: GitopsSettings) => settings.server !== undefined || settings.cluster !== undefined;

/** The envs that deploy to one cluster, how messages name that cluster, and the setting that could tell them apart. */
export interface SharedCluster {
  /** The server URL, or `cluster <name>`. */
  readonly cluster: string;
  /** `gitops.server`, `gitops.cluster`, or both where the envs name one cluster both ways. */
  readonly setting: string;
  readonly envs: readonly Environment[];
}

/**
 * The envs that deploy to one cluster, where more than one does: with one Argo CD for every env,
 * those whose destinations are the same server (as Argo CD compares them: argoCDServer) or the same
 * name. A name and a server are one cluster only for Argo CD's own (`in-cluster` and IN_CLUSTER_SERVER): which server another name stands for
 * is known to Argo CD alone. Empty when each env has its own Argo CD.
 */
export function sharedClusters(settings: GitopsSettings): SharedCluster[] {
  if (!oneArgoCD(settings)) return [];
  const byCluster = new Map<string, { envs: Environment[]; destinations: Destination[] }>();
  for (const env of ENVIRONMENTS) {
    const d = destination(settings, env);
    const key =
      d.name === undefined ? `server ${argoCDServer(d.server)}` : d.name === IN_CLUSTER_NAME ? `server ${IN_CLUSTER_SERVER}` : `name ${d.name}`;
    const group = byCluster.get(key) ?? { envs: [], destinations: [] };
    byCluster.set(key, group);
    group.envs.push(env);
    group.destinations.push(d);
  }
  return [...byCluster.values()]
    .filter((g) => g.envs.length > 1)
    .map(({ envs, destinations }) => {
      const names = destinations.flatMap((d) => (d.name === undefined ? [] : [d.name]));
      const servers = destinations.flatMap((d) => (d.server === undefined ? [] : [d.server]));
      if (names.length === 0) return { cluster: argoCDServer(servers[0]!), setting: 'gitops.server', envs };
      if (servers.length === 0) return { cluster: `cluster ${names[0]!}`, setting: 'gitops.cluster', envs };
      return { cluster: `${IN_CLUSTER_SERVER} (cluster ${IN_CLUSTER_NAME})`, setting: 'gitops.server or gitops.cluster', envs };
    });
}

/**
 * A server URL as Argo CD looks its cluster up. Argo CD keeps a cluster's URL without trailing
 * slashes (its cluster secrets are indexed by `strings.TrimRight(server, "/")`, and since 3.3 the
 * lookup trims the Application's destination the same way), so `https://k8s.example.com/` is the
 * cluster `https://k8s.example.com` is, or, before 3.3, no cluster at all: never a second one, which
 * is what the shared-cluster check needs. The rest stays as written: Argo CD neither lower-cases the
 * host nor drops a default port, so `https://K8S.example.com` or `https://k8s.example.com:443` is
 * another cluster to it (one it must have registered under that spelling, or nothing syncs).
 *
 * Its own cluster is the exception. `db.GetCluster` compares the destination with
 * `https://kubernetes.default.svc` exactly, before any trimming, and falls back to the in-cluster
 * connection only on that match; the in-cluster cluster usually has no secret, so the trimmed
 * lookup finds nothing either. `https://kubernetes.default.svc/` is therefore "cluster not found"
 * up to Argo CD 3.3 (3.4 trims the destination first), not the cluster `in-cluster` names: it keeps
 * its spelling here, and parseSettings refuses it.
 */
export const argoCDServer = (server: string) => (isSlashedInClusterServer(server) ? server : server.replace(/\/+$/, ''));

/** `https://kubernetes.default.svc` with trailing slashes, which Argo CD does not take for its own cluster (argoCDServer). */
const isSlashedInClusterServer = (server: string) => server !== IN_CLUSTER_SERVER && server.replace(/\/+$/, '') === IN_CLUSTER_SERVER;

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
