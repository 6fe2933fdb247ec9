import { existsSync, lstatSync, readdirSync, readlinkSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ENVIRONMENTS } from '@strata/core';
import { appDirs, checkEnv, Layout, ToolError, UsageError } from '@strata/project';
import {
  commitTransaction,
  linkedFolder,
  lockTree,
  refuseLinkedState,
  writeFileAtomic,
  writeFileAtomicAsync,
  type WrittenStatus,
} from '@strata/emit';
import { buildOverlays, type BuildOptions, type BuildResult } from '@strata/kustomize';
import { remoteInputs, type Reach } from '@strata/kustomize/remote';
import type { Selection } from './generate.ts';
export { buildFailureLine } from './build-line.ts';
import { builtRecord, type Listing, overlayInputs, stamper, type OverlayInputs } from './stale-dist.ts';

/** The overlay folders of a selection, as `overlays/<env>/<app>`. */
export function selectOverlays(root: string, selection: Selection = {}): { env: string; app: string; dir: string }[] {
  const env = checkEnv(selection.env);
  const known = appDirs(root);
  for (const app of selection.apps ?? []) {
    if (!known.includes(app)) throw new UsageError(`unknown app "${app}"; known apps: ${known.join(', ') || '(none)'}`);
  }
  // A set, as the other commands take it: an app named twice is built once, not twice into one file at once.
  const apps = selection.apps && selection.apps.length > 0 ? [...new Set(selection.apps)].sort() : known;
  const out: { env: string; app: string; dir: string }[] = [];
  for (const e of env ? [env] : ENVIRONMENTS) {
    for (const app of apps) {
      const dir = Layout.overlay(e, app);
      // A generated folder replaced by a link is bad input, as generate and check say, not a missing overlay.
      const link = linkedFolder(root, `${dir}/kustomization.yaml`);
      if (link)
        throw new Error(
          `${link.folder}: is a symbolic link (to ${link.target}); generated folders must be plain folders in the workspace: remove the link, then run \`npx strata generate --app ${app}\``,
        );
      if (!existsSync(join(root, dir, 'kustomization.yaml'))) {
        throw new UsageError(`${dir} does not exist; run \`npx strata generate --app ${app}\` first`);
      }
      out.push({ env: e, app, dir });
    }
  }
  return out;
}

/** One overlay's build, as `strata build` and the pipeline report it. */
export type BuiltOverlay = BuildResult & {
  readonly env: string;
  readonly app: string;
  readonly output: string;
  /** Not built at all: kustomize was never run, and `error` says why (a remote input, at its file and line). */
  readonly refused?: true;
  /** The built file an earlier build left for this overlay, removed because this build failed: it is not this overlay's output. */
  readonly removed?: string;
};

export interface BuildOutcome {
  readonly results: BuiltOverlay[];
  readonly failed: number;
  /** dist/ files of apps or envs that no longer exist, removed (only when everything was built). */
  readonly pruned?: string[];
}

/**
 * Build results that kustomize never judged (it crashed, was killed, or answered with something
 * unreadable) make the run a tool error, not an invalid input: thrown once the results are shown.
 * `overlays` counts everything the run built, the env roots of `check` included.
 */
export function failOnToolFailures(results: readonly Pick<BuildResult, 'toolFailed'>[], overlays = results.length): void {
  const failed = results.filter((b) => b.toolFailed);
  if (failed.length > 0)
    throw new ToolError(
      `kustomize failed on ${failed.length} of ${overlays} overlays without judging them (see above); run again, or rerun \`npm run build\` to rebuild the tools`,
    );
}

/**
 * `strata build`: kustomize build every selected overlay in parallel into dist/<env>/<app>.yaml.
 * Holds the tree's writer lock throughout, so that it neither reads overlays that a generate is
 * writing nor writes dist/ beside another build or pipeline.
 */
export async function build(root: string, selection: Selection = {}, onResult?: (r: BuildResult) => void): Promise<BuildOutcome> {
  const lock = lockTree(root, { label: 'strata build' });
  try {
    return await buildLocked(root, selection, onResult);
  } finally {
    lock.release();
  }
}

async function buildLocked(root: string, selection: Selection, onResult?: (r: BuildResult) => void): Promise<BuildOutcome> {
  const overlays = selectOverlays(root, selection);
  const outputs = overlays.map((o) => Layout.distOf(o.env, o.app));
  // A build of everything leaves dist/ holding exactly the current apps and envs.
  const everything = !selection.env && !(selection.apps && selection.apps.length > 0);
  // Refused before anything is built, so that nothing is written or removed.
  const first = distLinkCheck(root);
  for (const output of outputs) first(output);
  if (everything) prunePlan(root, new Set(outputs));
  // What kustomize would fetch is never fetched: such an overlay is refused, the others built. The
  // same walk finds what each build reads, stamped before kustomize reads it, so that a file changed
  // while it builds is later seen as changed rather than taken for what was built.
  const reach = overlays.map((): Reach => ({ folders: new Set(), files: new Set() }));
  const refused = overlays.map((o, i) => remoteRefusal(root, o.dir, reach[i]));
  const stamp = stamper(root);
  const listing: Listing = new Map();
  const inputs = overlays.map((o, i): OverlayInputs | undefined => {
    if (refused[i] !== undefined) return undefined;
    const read = overlayInputs(root, o.dir, reach[i], listing);
    for (const f of read.files) stamp(f);
    return read;
  });
  const toBuild = overlays.filter((_, i) => refused[i] === undefined);
  const builtSome = await buildOverlays(
    root,
    toBuild.map((o) => o.dir),
    { ...(onResult ? { onResult } : {}) },
  );
  let next = 0;
  const built = overlays.map((o, i): BuildResult & { refused?: true } => {
    const error = refused[i];
    if (error === undefined) return builtSome[next++]!;
    const r = { overlay: o.dir, ok: false, yaml: '', error, millis: 0, refused: true as const };
    onResult?.(r);
    return r;
  });
  // Looked at again as the files are written: the builds took a while.
  const refuse = distLinkCheck(root);
  // What was written and removed is recorded however the run ends, so a built file is later told from one edited since.
  const written: { output: string; yaml: string; inputs: OverlayInputs }[] = [];
  const removed: string[] = [];
  let pruned: string[] = [];
  try {
    for (const [i, r] of built.entries()) {
      if (!r.ok) continue;
      writeDist(root, outputs[i]!, r.yaml, refuse);
      written.push({ output: outputs[i]!, yaml: r.yaml, inputs: inputs[i]! });
    }
    // A folder linked while the files were written is refused now (see distLinkCheck): by the pruning
    // of everything, else by a last look.
    const plan = everything ? prunePlan(root, new Set(outputs)) : { files: [], folders: [] };
    const last = distLinkCheck(root);
    if (!everything) for (const output of outputs) last(output);
    // What an earlier build left for an overlay that failed now is no output of it: removed with the
    // stale files and the record that forgets them, in one change.
    for (const [i, r] of built.entries()) if (!r.ok && existsSync(join(root, outputs[i]!))) removed.push(outputs[i]!);
    const gone = [...removed, ...plan.files];
    refuseLinkedState(root);
    const record = builtRecord(root, written, gone, {}, stamp);
    commitTransaction(root, record ? [record] : [], gone);
    written.length = 0;
    for (const folder of plan.folders) rmdirSync(folder);
    pruned = plan.files.sort();
    const results = built.map((r, i): BuiltOverlay => {
      const { env, app } = overlays[i]!;
      const output = outputs[i]!;
      return { ...r, env, app, output, ...(removed.includes(output) ? { removed: output } : {}) };
    });
    return { results, failed: results.filter((r) => !r.ok).length, pruned };
  } finally {
    // Written but not recorded (the run failed on the way): recorded now, so they are not taken for copies.
    if (written.length > 0) {
      const record = builtRecord(root, written, [], {}, stamp);
      if (record) writeFileAtomic(join(root, record[0]), record[1]);
    }
  }
}

/**
 * Why the overlay `dir` (relative to `root`) is not built, in one line at the file and line that
 * names it, when its kustomization (or one it pulls in) names anything kustomize would fetch over
 * the network, or writes a field so that what it fetches cannot be told; else undefined. A build
 * reads only the tree, as validate and verify judge it.
 */
export function remoteRefusal(root: string, dir: string, reach?: Reach): string | undefined {
  const [first, ...more] = remoteInputs(join(root, dir), reach);
  if (first === undefined) return undefined;
  const at = `${relative(root, first.file)}:${first.line}: ${first.field}`;
  if (first.misspelled) return `${at}: cannot tell what kustomize would fetch over the network to build ${dir}: ${first.misspelled}`;
  const others = more.length === 0 ? '' : ` (and ${more.length} more remote input${more.length === 1 ? '' : 's'})`;
  if (first.local) {
    // kustomize reads a file so named from the tree but clones a folder so named, and clones either once it is gone.
    const folder = statSync(join(dirname(first.file), first.local), { throwIfNoEntry: false })?.isDirectory();
    const how = folder
      ? 'which kustomize clones over the network before it looks for a folder of that name in the tree'
      : 'which kustomize would clone over the network were the file of that name not in the tree';
    return `${at}: ${first.entry} is spelt as a repository, ${how}, so ${dir} is not built${others}: write ${first.local} to mean the ${folder ? 'folder' : 'file'} in the tree`;
  }
  return `${at}: kustomize would fetch ${first.entry} over the network to build ${dir}${others}, and strata builds only what is in the tree: vendor it into the tree and name it by its local path`;
}

/**
 * kustomize build of `dirs` (relative to `root`), in order, but for an overlay that `remoteRefusal`
 * refuses: that one is never handed to kustomize, and its result carries the refusal (`refused`), so
 * that nothing a hand-edited kustomization names is fetched over the network.
 */
export async function buildInTree(
  root: string,
  dirs: readonly string[],
  options: BuildOptions = {},
): Promise<(BuildResult & { readonly refused?: true })[]> {
  const refused = dirs.map((d) => remoteRefusal(root, d));
  const built = await buildOverlays(
    root,
    dirs.filter((_, i) => refused[i] === undefined),
    options,
  );
  let next = 0;
  return dirs.map((overlay, i) => {
    const error = refused[i];
    return error === undefined ? built[next++]! : { overlay, ok: false, yaml: '', error, millis: 0, refused: true as const };
  });
}

/**
 * dist/, or a folder in it, that is a symbolic link would have the writer put built output outside
 * the workspace (or into another env's folder) and the pruning remove what it finds there, and then
 * the link itself as stale: refused in one line. A dist/ file that is a link is replaced by the
 * rename, never written through, so it needs no refusal.
 */
function linkError(folder: string, target: string): Error {
  return new Error(
    `${folder}: is a symbolic link (to ${target}); built output goes only to plain folders in the workspace, so nothing was written or removed through it: remove the link, then run again`,
  );
}

/** Throws, in one line, when dist/ or a folder of it on the way to `output` (`dist/<env>/<app>.yaml`) is a symbolic link. */
export function refuseLinkedDist(root: string, output: string): void {
  const link = linkedFolder(root, output);
  if (link) throw linkError(link.folder, link.target);
}

/** refuseLinkedDist as one run makes it: see distLinkCheck. */
export type DistLinkCheck = (output: string) => void;

/**
 * refuseLinkedDist for one run, which looks at dist/ and each dist/<env> once rather than once per
 * file written (3,000 lstat calls at 500 apps). Made afresh by each run and never kept for the
 * process: a folder linked since an earlier run of the same process (`strata ci`, tests) is
 * refused by the next.
 *
 * A folder swapped for a link later in the run, after it was looked at, is not refused by the
 * write into it: Node opens a path with every folder on it followed (it has no openat, nor
 * RESOLVE_NO_SYMLINKS), so only a look at each folder before each write could see the swap, which
 * is what this spares. The run still fails once its files are written: pruneDist, with which a
 * pipeline and a build of everything end, looks at dist/ and every folder in it again, and a build
 * of some apps or one env looks at its folders again; the pipeline then remembers nothing.
 */
export function distLinkCheck(root: string): DistLinkCheck {
  // Folders found plain, or missing (the writer then makes them, as plain folders).
  const plain = new Set<string>();
  return (output) => {
    const parts = output.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (plain.has(folder)) continue;
      let stat;
      try {
        stat = lstatSync(join(root, folder));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      if (stat?.isSymbolicLink()) throw linkError(folder, readlinkSync(join(root, folder)));
      // A file where a folder goes (a stray file, a bad merge) would fail the write with Node's ENOTDIR or EEXIST.
      if (stat && !stat.isDirectory())
        throw new Error(`${folder}: is a file, where build writes a folder of built output; it must be a folder: remove it, then run again`);
      plain.add(folder);
    }
  };
}

/**
 * What pruneDist would remove: files, then the folders left empty (deepest first). Throws before
 * anything is removed when dist/ or a folder in it is a symbolic link.
 */
function prunePlan(root: string, keep: ReadonlySet<string>): { files: string[]; folders: string[] } {
  const files: string[] = [];
  const folders: string[] = [];
  // dist/ itself first: the sweep would follow it.
  refuseLinkedDist(root, `${Layout.dist}/`);
  const sweep = (dir: string): boolean => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    let empty = true;
    for (const e of entries) {
      const path = join(dir, e.name);
      const rel = relative(root, path);
      if (e.isSymbolicLink() && isFolder(path)) throw linkError(rel, readlinkSync(path));
      if (e.isDirectory()) {
        if (sweep(path)) folders.push(path);
        else empty = false;
      } else if (!keep.has(rel)) files.push(rel);
      else empty = false;
    }
    return empty;
  };
  sweep(join(root, Layout.dist));
  return { files, folders };
}

const isFolder = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a broken link: removed as a file would be
  }
};

/**
 * Removes every file under dist/ that is not in `keep` (paths relative to the root), and the
 * folders left empty: the built output of an app or env that no longer exists must not be shipped
 * or validated as if it were current. Returns what it removed. Refuses, removing nothing, when
 * dist/ or a folder in it is a symbolic link.
 */
export function pruneDist(root: string, keep: ReadonlySet<string>): string[] {
  const { files, folders } = prunePlan(root, keep);
  for (const rel of files) rmSync(join(root, rel), { force: true });
  for (const folder of folders) rmdirSync(folder);
  return files.sort();
}

/**
 * Writes one built overlay to dist/ with the one atomic writer, so a reader never sees half of it;
 * refused when dist/ or its env folder is a symbolic link (looked at by `refuse`: the run's own
 * distLinkCheck, or else afresh).
 */
export function writeDist(root: string, output: string, yaml: string, refuse: DistLinkCheck = distLinkCheck(root)): void {
  refuse(output);
  writeFileAtomic(join(root, output), yaml);
}

/**
 * Like writeDist, off the main thread: creating many files is slow on some file systems, and the
 * caller has other work to do meanwhile. Resolves with the status of the file as written.
 */
export async function writeDistAsync(
  root: string,
  output: string,
  yaml: string,
  refuse: DistLinkCheck = distLinkCheck(root),
): Promise<WrittenStatus> {
  refuse(output);
  return writeFileAtomicAsync(join(root, output), yaml);
}
