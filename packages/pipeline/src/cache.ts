import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  closeSync,
  type Dirent,
  existsSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, relative, sep } from 'node:path';
import type { Environment } from '@strata/core';
import { refuseLinkedState, removeStaleTemporaries, writeFileAtomic } from '@strata/emit';
import { crdsFolder, filesIn, Layout, type Problem } from '@strata/project';
import type { AppSyncPlan } from '@strata/gitops';
import { resolveHelper } from '@strata/server-validation';
import { resolveKubeconform } from '@strata/kubeconform-wrapper';
import { resolveBuilder, resolveKustomize } from '@strata/kustomize';
import type {
  AllocationClaim,
  ClassClaims,
  ClusterClass,
  ClusterLimitRange,
  ClusterNetworkPolicy,
  IngressClaim,
  NamespaceClaims,
  NodePortClaim,
} from '@strata/validate';
// The decoder's path only: the rest of validate loads when a pipeline runs.
import { decoderPath } from '@strata/validate/decode';
import type { OverlayFindings } from './findings.ts';

/**
 * What `strata pipeline` remembers about each app between runs, so that an unchanged app is
 * neither rendered, built nor validated again. An app is reused only when the files it was compiled
 * from, every file it generated or built, and the tools themselves are byte for byte what they
 * were, and when what is remembered about it is what the run that judged those bytes wrote.
 */
/** A file as it was: its content hash, and its size and times to skip reading it. */
export interface Stamp {
  readonly hash: string;
  readonly size: number;
  /** Modification time in ms; -1 when it was too recent to be trusted (see RACY_MS). */
  readonly mtime: number;
  /** Status-change time in ms: no tool can set it back, so an edit that restores the mtime still changes it. */
  readonly ctime: number;
}

export interface AppEntry {
  /** Files the app's modules were compiled from (relative to the root). */
  readonly inputs: Record<string, Stamp>;
  /** Its generated files and built dist/ files. */
  readonly outputs: Record<string, Stamp>;
  /** Folders that hold only its generated files. */
  readonly dirs: readonly string[];
  /** What Argo CD needs of it, per env. */
  readonly sync: Record<Environment, AppSyncPlan>;
  /** What validating its built output found, and how many resources it counted. */
  readonly problems: readonly Problem[];
  readonly resources: number;
  /**
   * The node ports its Services ask for, with their files and lines: whether another app of the env
   * holds one first is judged in every run, over the apps rendered anew and those reused.
   */
  readonly nodePorts: readonly NodePortClaim[];
  /**
   * What its objects ask their cluster for of which it holds one each (cluster IPs, the default PriorityClass), with their
   * files and lines: whether another app of the env holds one first is judged in every run.
   */
  readonly allocations: readonly AllocationClaim[];
  /**
   * The PriorityClasses and RuntimeClasses its built files create and their pods name: whether the
   * env has each class is judged in every run, over the apps rendered anew and those reused.
   */
  readonly classes: readonly ClassClaims[];
  /**
   * What its built files create and need of namespaces: whether something in the env creates each
   * namespace its objects live in is judged in every run, over the apps rendered anew and those reused.
   */
  readonly namespaces: readonly NamespaceClaims[];
  /**
   * The Pod Security labels of the namespaces its objects live in that other apps of the env create
   * (`podSecurityBasis`), as its problems were judged against them: when they change, its pods are
   * judged again (namespace-admits-pods) though the app itself did not change.
   */
  readonly podSecurityBasis: string;
  /** The LimitRanges its built files create: they judge the pods and claims of the other apps of the env in their namespaces. */
  readonly limitRanges: readonly ClusterLimitRange[];
  /**
   * The LimitRanges of other apps of the env in the namespaces its objects live in (`limitRangeBasis`),
   * as its problems were judged against them: when they change, its pods and claims are judged again
   * (within-limit-ranges) though the app itself did not change.
   */
  readonly limitRangeBasis: string;
  /** The PriorityClasses and RuntimeClasses its built files create: they decide the pod fields of the other apps of the env. */
  readonly clusterClasses: readonly ClusterClass[];
  /**
   * The classes other apps of the env create (`classBasis`), as its pods were judged against them:
   * when they change (another app's global default PriorityClass, say), its pods are judged again
   * (pod-fields-from-classes) though the app itself did not change.
   */
  readonly classBasis: string;
  /** The NetworkPolicies its built files ship: a default deny or a policy of them counts for the pods of the other apps of the env in their namespace. */
  readonly networkPolicies: readonly ClusterNetworkPolicy[];
  /**
   * The NetworkPolicies of other apps of the env in the namespaces its objects live in
   * (`networkPolicyBasis`), as its pods were judged beside them: when they change, its pods are judged
   * again (default-deny-network-policy, network-policy-selects-workload) though the app did not change.
   */
  readonly networkPolicyBasis: string;
  /**
   * The hosts and paths its Ingresses route: whether another app of the env routes one first is
   * judged in every run, over the apps rendered anew and those reused.
   */
  readonly ingresses: readonly IngressClaim[];
  /** What `strata check` compares, per env: the round trip, patch targets, what the env root's proof needs. */
  readonly findings: Record<Environment, OverlayFindings>;
  /** The kinds of its output (`<apiVersion> <kind>`) the server's offline checks left to a cluster, said in every run's note. */
  readonly needsCluster?: readonly string[];
  /**
   * Which of its objects the API server's offline field checks judged, when not all of them (see
   * PipelineOptions.serverChecks): `unapplied`, those a dry run leaves out; `none`. Reused only by a
   * run that judges the same objects, so that a verdict never depends on which run filled the cache.
   */
  readonly serverChecks?: 'unapplied' | 'none';
  /**
   * A keyed hash (see sealKey) over the tool, every input and output hash and every verdict above:
   * a verdict is reused only together with the bytes it judged, and only from a cache this user's
   * runs wrote; an entry edited by hand, or written elsewhere, is not reused at all.
   */
  readonly seal: string;
}

/**
 * The files every app shares (the env roots and gitops/) as the last pipeline wrote them for
 * exactly these apps, so that `check` need not plan them again while no app has changed.
 */
export interface SharedEntry {
  readonly apps: readonly string[];
  readonly files: Record<string, Stamp>;
  /** What validation found in gitops/ as these files hold it, when it was validated. */
  readonly gitops?: GitopsVerdict;
  readonly seal: string;
}

/**
 * The verdict on the folders of gitops/ (each env's Argo CD folder as kustomize builds it, each
 * env's Flux folder as its files are applied): reused by a run whose gitops/ holds the same bytes
 * (`key`, see gitopsKey) and that judges as this one did.
 */
export interface GitopsVerdict {
  readonly key: string;
  /** The folders validated: gitops/<env> and gitops/flux/<env>, of the envs that have them. */
  readonly folders: readonly string[];
  readonly problems: readonly Problem[];
  readonly resources: number;
  /** As AppEntry.serverChecks. */
  readonly serverChecks?: 'unapplied' | 'none';
}

/** What the files of gitops/ hold, as one hash: each file's path and content hash. */
export function gitopsKey(files: Iterable<readonly [string, string]>): string {
  const under = [...files].filter(([path]) => path.startsWith(`${Layout.gitops}/`));
  return hashOf(JSON.stringify(under.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

export interface PipelineCache {
  /** The tool's own fingerprint: a cache written by another version of anything is not read. */
  readonly tool: string;
  readonly apps: Record<string, AppEntry>;
  readonly shared?: SharedEntry;
}

const FORMAT = 'strata-pipeline-cache/11';
/** Beside the tree it describes; git ignores it. */
export const cacheFile = (root: string) => join(root, Layout.cache, 'pipeline.json');
const toolsFile = (root: string) => join(root, Layout.cache, 'tools.json');

export const hashOf = (content: string | Buffer) => createHash('sha1').update(content).digest('hex');

/** Where the key of the seals is kept: beside the user's other Strata caches, outside every workspace. */
export const sealKeyFile = () => join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'strata', 'pipeline.key');

let key: Buffer | undefined;

/**
 * The secret the seals are keyed with: made once per user, readable by that user only. Anyone can
 * recompute a plain hash, so a forged or restored cache (a CI cache another job wrote, say) could
 * carry any verdict under a seal that holds; with the key, only this user's runs write seals that
 * hold, and any other cache is simply not reused. When no key can be kept, the process uses one of
 * its own: nothing is reused, every run is a run without the cache.
 */
function sealKey(): Buffer {
  if (key) return key;
  const file = sealKeyFile();
  const read = () => {
    const k = readFileSync(file);
    if (k.length < 32) throw new Error(`${file}: too short`);
    return k;
  };
  try {
    key = read();
  } catch {
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      // Made whole beside it, then linked into place: two runs that make it at once agree on one.
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, randomBytes(32), { mode: 0o600, flag: 'wx' });
      try {
        linkSync(temp, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      } finally {
        rmSync(temp, { force: true });
      }
      key = read();
    } catch {
      key = randomBytes(32);
    }
  }
  return key;
}

/** A keyed hash of `parts`, in order. */
function seal(...parts: string[]): string {
  const h = createHmac('sha256', sealKey());
  for (const part of parts) h.update(part).update('\0');
  return h.digest('hex');
}

/**
 * In CI a file's times prove nothing (a restored cache, a checkout that sets times): every file is
 * compared by its content there, as it is whenever its size or times changed.
 */
export function byContent(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** Larger files are hashed a piece at a time, through one buffer: see readHash. */
const PIECE = 1 << 20;
let piece: Buffer | undefined;

/**
 * The hash of what a file holds now; throws when it cannot be read. A file larger than a piece (a
 * tool binary: the fingerprint hashes some 150 MB of them) is read through one reused buffer rather
 * than into a fresh one of its size: fresh memory costs a page fault per 4 KB, which on a virtual
 * machine costs more than the hashing.
 */
function readHash(path: string): string {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).size <= PIECE) return hashOf(readFileSync(fd));
    piece ??= Buffer.allocUnsafe(PIECE);
    const h = createHash('sha1');
    for (let n = readSync(fd, piece, 0, PIECE, null); n > 0; n = readSync(fd, piece, 0, PIECE, null)) h.update(piece.subarray(0, n));
    return h.digest('hex');
  } finally {
    closeSync(fd);
  }
}

/** A file's hash, or undefined when it cannot be read. */
export function hashFile(path: string): string | undefined {
  try {
    return readHash(path);
  } catch {
    return undefined;
  }
}

/** Every file under `dir` (absolute paths), none when it is missing; node_modules folders left out. */
const walk = (dir: string): string[] => (existsSync(dir) ? filesIn(dir, { skip: ['node_modules'] }) : []);

/** A command named without a folder, found on PATH as the operating system would. */
function onPath(command: string): string | undefined {
  if (command.includes('/')) return command;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/**
 * The binaries that build and validate: kustomize (or kubectl), the long-lived builder, kubeconform,
 * the decoder that reads built output as kubectl does, and the API server's field checks (its helper),
 * as the run would find them. One that cannot be found counts as missing.
 */
function toolBinaries(root: string, helper: string | undefined): Record<string, string | undefined> {
  const attempt = (find: () => string | undefined) => {
    try {
      const found = find();
      return found && onPath(found);
    } catch {
      return undefined;
    }
  };
  return {
    kustomize: attempt(() => resolveKustomize(root).command),
    builder: attempt(() => resolveBuilder(root)),
    kubeconform: attempt(() => resolveKubeconform({ root })),
    decoder: attempt(() => decoderPath(root)),
    'server-validation': helper,
  };
}

/** The Go programs of the repository that the setup builds (their tests aside): what their binaries are built from. */
const GO_PROGRAMS = ['kustomize/builder', 'validate/decoder', 'server-validation/helper'];
const GO_SOURCE = /\.go$|^go\.(mod|sum)$/;

function goSources(packages: string): string[] {
  return GO_PROGRAMS.flatMap((dir) => {
    try {
      return readdirSync(join(packages, dir))
        .filter((n) => GO_SOURCE.test(n) && !n.endsWith('_test.go'))
        .map((n) => join(packages, dir, n));
    } catch {
      return [];
    }
  });
}

/**
 * The content hashes of files read on every run (the tool's binaries, some 60 MB; Strata's own
 * sources and schemas, a few thousand files), kept with their stamps in `.strata/cache/tools.json`
 * and read again only when a file's size or times changed, or always in CI.
 */
function hashesOf(root: string, files: readonly string[]): Map<string, string | undefined> {
  let known: Record<string, Stamp> = {};
  try {
    // Sealed as the entries are: a hash written elsewhere would stand for a binary it never read.
    const kept = JSON.parse(readFileSync(toolsFile(root), 'utf8')) as { files?: Record<string, Stamp>; seal?: string };
    const files = JSON.stringify(kept.files);
    if (kept.files && typeof kept.files === 'object' && kept.seal === seal(FORMAT, 'tools', files)) known = kept.files;
  } catch {
    // none yet
  }
  const next: Record<string, Stamp> = {};
  const out = new Map<string, string | undefined>();
  for (const file of files) {
    const before = known[file];
    const stamp = (before && verify(file, before)) ?? stampOf(file);
    if (stamp) next[file] = stamp;
    out.set(file, stamp?.hash);
  }
  if (JSON.stringify(next) !== JSON.stringify(known)) {
    try {
      const files = JSON.stringify(next);
      writeFileAtomic(toolsFile(root), JSON.stringify({ files: next, seal: seal(FORMAT, 'tools', files) }));
    } catch {
      // a cache that cannot be written only costs time
    }
  }
  return out;
}

/** Each binary as `name=hash`, by its real path. */
function binaryHashes(binaries: Record<string, string | undefined>, hashes: ReadonlyMap<string, string | undefined>): string[] {
  return Object.entries(binaries).map(([name, real]) => `${name}=${(real && hashes.get(real)) ?? '-'}`);
}

/** pnpm's record of what it installed, of every package (the strata command's own bundle is keyed on the first). */
const INSTALLED = ['node_modules/.modules.yaml', 'node_modules/.pnpm/lock.yaml'];

/**
 * Everything besides an app's own files that decides what the pipeline produces: Strata's sources
 * (the Go programs' too), the schemas, the lockfile (every library version) and what the last
 * install put into node_modules, the project settings,
 * the setup script (it pins kustomize and kubeconform), the binaries of toolBinaries themselves,
 * and the environment variables that change how the tools run. Contents only, never times: what
 * keeps a cache written elsewhere from being reused is the key of its seals (see sealKey).
 */
export function toolFingerprint(root: string): string {
  // Its hashes are kept in the cache (tools.json): never through a link out of the workspace.
  refuseLinkedState(root);
  const h = createHash('sha1').update(FORMAT).update(process.version);
  const packages = join(root, 'packages');
  const files = [
    // Every file of every workspace package, not only its src/: an app may import any of them.
    ...(existsSync(packages) ? walk(packages).filter((f) => inFingerprint(relative(root, f))) : []),
    ...goSources(packages),
    ...walk(join(packages, 'schemas', 'kubernetes')),
    ...walk(join(packages, 'schemas', 'crds-json')),
    // The CRDs themselves: the server field checks judge custom resources against them.
    ...walk(join(packages, 'schemas', 'crds')),
    ...walk(crdsFolder(root)),
    ...['pnpm-lock.yaml', 'tsconfig.base.json', 'strata.config.json', 'scripts/setup.mjs'].map((f) => join(root, f)),
    // What node_modules holds, as the last install left it: the lockfile says only what it should
    // hold, and a run before `pnpm install` renders with the libraries installed before.
    ...INSTALLED.map((f) => join(root, f)),
  ];
  // Whether the server field checks run, and which build of them: its path holds its source's hash.
  const helper = resolveHelper();
  const binaries = Object.fromEntries(
    Object.entries(toolBinaries(root, helper)).map(([name, path]) => {
      try {
        return [name, path && realpathSync(path)];
      } catch {
        return [name, undefined];
      }
    }),
  );
  // Once each: the schemas' folders are walked on their own too, whatever they hold.
  const once = [...new Set(files)].sort();
  const hashes = hashesOf(root, [...once, ...Object.values(binaries).filter((b) => b !== undefined)]);
  for (const f of once) h.update(`${relative(root, f)}\0${hashes.get(f) ?? '-'}\0`);
  h.update(`server-validation\0${helper ?? 'not built'}\0`);
  for (const b of binaryHashes(binaries, hashes)) h.update(`${b}\0`);
  for (const k of Object.keys(process.env)
    .filter((k) => k.startsWith('STRATA_') || k.startsWith('KUSTOMIZE_'))
    .sort()) {
    h.update(`${k}=${process.env[k]}\0`);
  }
  return h.digest('hex');
}

/** What a package's own build and task runner leave in it: not its sources. */
const BUILT = new Set(['dist', '.turbo']);

/**
 * Whether toolFingerprint hashes this file (relative to the root) of a workspace package: any file
 * of `packages/<name>/` outside node_modules and what builds leave (dist/, .turbo/), so that whatever
 * an app imports of a workspace package (a helper package without src/, say) counts for every app at
 * once. Any other file an app was compiled from (a prebuilt copy in packages/cli/dist) is one of its
 * own inputs.
 */
export function inFingerprint(file: string): boolean {
  const [top, pkg, second, ...rest] = file.split(sep);
  if (top !== 'packages' || !pkg || !second) return false;
  return !(rest.length > 0 && BUILT.has(second)) && !rest.includes('node_modules');
}

/**
 * Whether a file (relative to the root) is part of the strata command's prebuilt copy of the
 * workspace packages (packages/cli/dist/<key>/, see packages/cli/bin/prebuilt.mjs): compiled from
 * files inFingerprint covers, in a folder named by the hash of them, the installed libraries and the
 * compiler, all of which the fingerprint hashes too.
 */
export function isPrebuiltCopy(file: string): boolean {
  const [top, pkg, second] = file.split(sep);
  return top === 'packages' && pkg === 'cli' && second === 'dist';
}

/** A stamped file list as its seal covers it: each file's hash, in the order of the names; verify compares the size and times. */
const sealedHashes = (files: Record<string, Stamp>) =>
  Object.keys(files)
    .sort()
    .map((f) => [f, files[f]!.hash]);
const asIs = <T>(value: T) => value;

/**
 * Every field of an entry that its seal covers, in the order it hashes them, each as it is hashed.
 * The type asks for every field of AppEntry but the seal itself: a field added there is sealed, or
 * this does not compile.
 */
const SEALED: { readonly [K in keyof Omit<AppEntry, 'seal'>]-?: (value: AppEntry[K]) => unknown } = {
  inputs: sealedHashes,
  outputs: sealedHashes,
  dirs: asIs,
  sync: asIs,
  problems: asIs,
  resources: asIs,
  nodePorts: asIs,
  allocations: asIs,
  classes: asIs,
  namespaces: asIs,
  podSecurityBasis: asIs,
  limitRanges: asIs,
  limitRangeBasis: asIs,
  clusterClasses: asIs,
  classBasis: asIs,
  networkPolicies: asIs,
  networkPolicyBasis: asIs,
  ingresses: asIs,
  findings: asIs,
  // Entries of an older run lack these: sealed as the values they stand for.
  needsCluster: (v) => v ?? [],
  serverChecks: (v) => v ?? 'all',
};

/** The seal of an entry: see AppEntry.seal. */
export function sealOf(tool: string, entry: Omit<AppEntry, 'seal'>): string {
  const fields = Object.entries(SEALED) as [keyof typeof SEALED, (value: unknown) => unknown][];
  return seal(FORMAT, tool, JSON.stringify(fields.map(([name, sealed]) => sealed(entry[name]))));
}

/** The seal of the shared files: see SharedEntry. */
export function sharedSealOf(tool: string, apps: readonly string[], files: Record<string, Stamp>, gitops?: GitopsVerdict): string {
  return seal(FORMAT, tool, JSON.stringify([apps, sealedHashes(files), ...(gitops ? [gitops] : [])]));
}

/** The verdict on gitops/ of a shared entry this user's runs wrote for this tool; undefined for any other. */
export function sealedGitops(tool: string, shared: SharedEntry | undefined): GitopsVerdict | undefined {
  if (!shared || typeof shared !== 'object' || !shared.gitops || !Array.isArray(shared.apps)) return undefined;
  return sharedSealOf(tool, shared.apps, shared.files, shared.gitops) === shared.seal ? shared.gitops : undefined;
}

/**
 * The shared files' stamps when they are still what the last pipeline wrote for exactly `apps`;
 * undefined when anything differs.
 */
export function sharedUnchanged(
  root: string,
  tool: string,
  shared: SharedEntry | undefined,
  apps: readonly string[],
  listing = new FolderListing(root),
): Record<string, Stamp> | undefined {
  if (!shared || typeof shared !== 'object' || JSON.stringify(shared.apps) !== JSON.stringify(apps)) return undefined;
  if (sharedSealOf(tool, shared.apps, shared.files, shared.gitops) !== shared.seal) return undefined;
  if (!Object.keys(shared.files).every((f) => listing.plainPath(f))) return undefined;
  const out: Record<string, Stamp> = {};
  for (const [file, stamp] of Object.entries(shared.files)) {
    const now = verify(join(root, file), stamp, false, false);
    if (!now) return undefined;
    out[file] = now;
  }
  // Nothing else under gitops/ either: a file there that no plan holds is stale.
  return filesUnder(root, [Layout.gitops], listing).every((f) => f in out) ? out : undefined;
}

/** The cache of an earlier run by the same tool, or an empty one. */
export function readCache(root: string, tool: string): PipelineCache {
  try {
    const cache = JSON.parse(readFileSync(cacheFile(root), 'utf8')) as PipelineCache;
    if (cache.tool === tool && cache.apps && typeof cache.apps === 'object') return cache;
  } catch {
    // missing or unreadable: start afresh
  }
  return { tool, apps: {} };
}

/** Written to a temporary file and renamed, so a run that stops part-way leaves the old cache. */
export function writeCache(root: string, cache: PipelineCache): void {
  refuseLinkedState(root);
  writeFileAtomic(cacheFile(root), JSON.stringify(cache));
  removeStaleTemporaries(join(root, Layout.cache));
}

/** Every file under the given folders (relative to the root); from `listing` when given. */
export function filesUnder(root: string, dirs: readonly string[], listing = new FolderListing(root)): string[] {
  return dirs.flatMap((d) => listing.files(d));
}

/**
 * The files under folders of the root, each folder read once however often it is asked for: check
 * lists every app's folders, then the generated tree around them.
 */
export class FolderListing {
  private readonly known = new Map<string, readonly string[]>();
  private readonly plain = new Map<string, boolean>();
  /** The symbolic links met while listing (relative to the root), never followed. */
  private readonly links: string[] = [];
  constructor(private readonly root: string) {}

  /** Whether a symbolic link lies under `dir` (relative to the root), node_modules folders left out. */
  holdsLinks(dir: string): boolean {
    this.files(dir);
    return this.links.some((l) => l.startsWith(`${dir}/`));
  }

  /**
   * Whether every folder on the way from the root to this file (relative to the root) is a plain
   * folder, none a symbolic link: a generated folder linked elsewhere is refused by a run that
   * writes the tree, so a run that reuses what is in it must not read through the link either.
   */
  plainPath(file: string): boolean {
    const parts = file.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      let plain = this.plain.get(dir);
      if (plain === undefined) {
        try {
          plain = lstatSync(join(this.root, dir)).isDirectory();
        } catch {
          plain = false;
        }
        this.plain.set(dir, plain);
      }
      if (!plain) return false;
    }
    return true;
  }

  /** Every file under `dir` (relative to the root, as are the files), node_modules folders left out. */
  files(dir: string): readonly string[] {
    const cached = this.known.get(dir);
    if (cached) return cached;
    const out: string[] = [];
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(join(this.root, dir), { withFileTypes: true });
    } catch {
      // not there: no files
    }
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') out.push(...this.files(path));
      } else if (e.isFile()) out.push(path);
      else if (e.isSymbolicLink()) this.links.push(path);
    }
    this.known.set(dir, out);
    return out;
  }
}

/**
 * A file changed within this many milliseconds before it was stamped may change again with the
 * same size and the same times (file system clocks tick in steps of a few milliseconds): its stamp
 * is marked untrusted, so the next run compares its content (git's racy-timestamp rule).
 */
const RACY_MS = 100;

const isRacy = (s: { mtimeMs: number; ctimeMs: number }) => Date.now() - Math.max(s.mtimeMs, s.ctimeMs) < RACY_MS;

/** Whether a file was changed (written, renamed, its mode set) since a clock tick before this process started. */
const changedSinceStart = (s: { mtimeMs: number; ctimeMs: number }) => Math.max(s.mtimeMs, s.ctimeMs) >= performance.timeOrigin - RACY_MS;

function stampFrom(s: { size: number; mtimeMs: number; ctimeMs: number }, hash: string, racy = isRacy(s)): Stamp {
  return { hash, size: s.size, mtime: racy ? -1 : s.mtimeMs, ctime: racy ? -1 : s.ctimeMs };
}

/**
 * A file's status as a write of this process left it (`writeFileAtomicAsync`, applyTree's
 * `onWritten`), or as a read of this process found it holding what it meant to write (applyTree's
 * `onUnchanged`).
 */
export interface WrittenAs {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/**
 * The stamp of a file whose content is known (just written, say), or read from disk; undefined
 * when it cannot be read, or when `written` says how this run's write left it and the file has
 * changed since (then it no longer holds `content`, which is what was checked).
 */
export function stampOf(path: string, content?: string | Buffer, written?: WrittenAs): Stamp | undefined {
  try {
    const s = statSync(path);
    if (written && (s.ino !== written.ino || s.size !== written.size || s.mtimeMs !== written.mtimeMs || s.ctimeMs !== written.ctimeMs))
      return undefined;
    const hash = content !== undefined ? hashOf(content) : readHash(path);
    // An edit in the same tick of the file system's clock as the write leaves the size and times
    // the write left: a stamp of the written content, trusted by its times, would stand for the
    // edited file. A racy stamp is compared by content next time; otherwise the file decides now,
    // if it changed while this process ran at all (a file it found already holding the content, and
    // that nobody touched since long before, is what it read).
    const racy = isRacy(s);
    if (content !== undefined && !racy && changedSinceStart(s) && hashFile(path) !== hash) return undefined;
    return stampFrom(s, hash, racy);
  } catch {
    return undefined;
  }
}

/**
 * The file's stamp again if it still holds what was stamped: like git's index, a file with the
 * same size and times is not read (outside CI); otherwise its content decides, and the stamp gets
 * the file's current times. Undefined when it changed or is gone. `sameRun`: the stamp was taken
 * by this process, so its times are trusted in CI too (there they mislead only across checkouts
 * and restored caches; a racy stamp is still compared by content). `links: false` for a generated
 * file or an app's input: a symbolic link in its place, even to the same content, is not the file that was stamped.
 */
export function verify(path: string, stamp: Stamp, sameRun = false, links = true): Stamp | undefined {
  let s;
  try {
    s = links ? statSync(path) : lstatSync(path);
  } catch {
    return undefined;
  }
  if ((!links && !s.isFile()) || s.size !== stamp.size) return undefined;
  if ((sameRun || !byContent()) && stamp.mtime !== -1 && s.mtimeMs === stamp.mtime && s.ctimeMs === stamp.ctime) return stamp;
  const hash = hashFile(path);
  return hash === stamp.hash ? stampFrom(s, hash) : undefined;
}

/**
 * The entry again, with fresh times, when its seal holds, every recorded file is as it was and
 * nothing else lies in the app's folders; undefined when anything changed.
 */
export function unchanged(root: string, tool: string, entry: AppEntry, listing = new FolderListing(root)): AppEntry | undefined {
  if (!entry || typeof entry !== 'object' || sealOf(tool, entry) !== entry.seal) return undefined;
  // An input replaced by a symbolic link, or in a folder replaced by one, is no longer what the app
  // was compiled from: the compile resolves its imports from where the link points.
  if (![...Object.keys(entry.inputs), ...Object.keys(entry.outputs)].every((f) => listing.plainPath(f))) return undefined;
  const check = (files: Record<string, Stamp>, links: boolean) => {
    const out: Record<string, Stamp> = {};
    for (const [file, stamp] of Object.entries(files)) {
      const now = verify(join(root, file), stamp, false, links);
      if (!now) return undefined;
      out[file] = now;
    }
    return out;
  };
  const inputs = check(entry.inputs, false);
  const outputs = inputs && check(entry.outputs, false);
  if (!inputs || !outputs || !filesUnder(root, entry.dirs, listing).every((f) => f in outputs)) return undefined;
  return { ...entry, inputs, outputs };
}
