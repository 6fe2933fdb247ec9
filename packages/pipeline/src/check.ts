import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { ENVIRONMENTS, type App, type Environment, type Manifest } from '@strata/core';
import {
  appDirs,
  checkEnv,
  checkPinFiles,
  eachApp,
  filesIn,
  inEnvScope,
  Layout,
  loadEveryApp,
  strayRegistrations,
  UsageError,
  type WarningOptions,
  notAFolder,
} from '@strata/project';
import {
  type AppPlan,
  fileInFolderPlace,
  generatedApps,
  isGenerated,
  type Mismatch,
  planApp,
  planChanges,
  planEnvironments,
  planOptionsOf,
  refuseIgnored,
  schemaMergeKeys,
} from '@strata/emit';
import { loadSettings, namespacedOf, planGitops, syncPlan, type AppSyncPlan } from '@strata/gitops';
import { isTopologyInput, keptTopology, staleTopology } from '@strata/graph/inputs';
import { parseBuild } from '@strata/kustomize';
import { buildInTree } from './build.ts';
import { checkKubernetesSettings, checkPolicySettings } from '@strata/validate/settings';
import { FolderListing, readCache, sharedUnchanged, toolFingerprint, unchanged, type AppEntry, type PipelineCache } from './cache.ts';
import { overlayFindings, proveEnvRoot, type OverlayFindings } from './findings.ts';
import { orphanDirs, type Selection } from './generate.ts';
import { handWrittenFiles } from './hand-written.ts';
import { containerImages, describeImageEdit, explainImageEdits, imageEditHints, pinsAtHead, type ImageEdit } from './image-drift.ts';

export interface Drift {
  readonly file: string;
  readonly kind: 'changed' | 'missing' | 'stale';
  readonly diff: string;
  /** A committed topology picture (docs/), which `npm run topology` draws again; generate does not. */
  readonly picture?: true;
  /** A file that is what generate writes but for CRLF line endings: how git checked it out (`LINE_ENDINGS_FIX`). */
  readonly lineEndings?: true;
  /** A generated folder (or one above it) that is a file: `file` is the folder, `diff` one line saying what to do. */
  readonly notFolder?: true;
}

/** A generated file checked out with CRLF, in one line after its name. */
export const LINE_ENDINGS_ONLY =
  'differs from what generate writes only by its line endings: git checked it out with CRLF (core.autocrlf=true) where generate writes LF';

/**
 * What mends generated files that git checks out with CRLF: `strata generate` alone writes LF that
 * git takes for the committed text (nothing to commit) and the next checkout turns back into CRLF.
 */
export const LINE_ENDINGS_FIX =
  'commit a .gitattributes with `* text=auto eol=lf` (or run `git config core.autocrlf false`), then run `npx strata generate`, which writes the files with LF and leaves nothing else to commit';

/**
 * What follows a summary that found drift: each in-place `images:` edit with the command that carries
 * it into the pins (`edits`), and what to do about the drift (`advice`); when generate would refuse
 * the tree (`refused`, objects two apps of an env share), only what to fix first.
 */
export function driftHints(
  drift: readonly Drift[],
  imageEdits: readonly ImageEdit[],
  refused: readonly string[] = [],
): { readonly edits: string[]; readonly advice: string[] } {
  if (refused.length > 0) {
    return {
      edits: [],
      advice: [
        'generate refuses this tree: two apps of an env render the same object; rename or remove it in one of them, then regenerate and commit',
      ],
    };
  }
  const advice = drift.some((d) => d.lineEndings) ? [LINE_ENDINGS_FIX] : [];
  if (imageEdits.length > 0) advice.push(...imageEditHints(imageEdits));
  else if (drift.some((d) => !d.picture && !d.lineEndings))
    advice.push(
      drift.some((d) => d.picture)
        ? 'the committed tree is out of date: run `npx strata generate`, then `npm run topology`, and commit the result'
        : 'the committed tree is out of date: run `npx strata generate` and commit the result',
    );
  else if (drift.some((d) => d.picture)) advice.push('the topology pictures are out of date: run `npm run topology` and commit docs/');
  return { edits: imageEdits.map(describeImageEdit), advice };
}

/** Whether the committed text is the generated one but for CRLF line endings (a checkout with core.autocrlf=true). */
export const onlyLineEndings = (committed: string, generated: string): boolean =>
  committed !== generated && committed.includes('\r\n') && committed.replaceAll('\r\n', '\n') === generated;

export interface CheckResult {
  readonly drift: Drift[];
  /**
   * Drifted overlays whose `images:` differ from what the pins generate, each saying which side changed (judged against
   * the pins at git HEAD) and how to fix it: the command that carries an edit into the pins, or generate for a changed pin.
   */
  readonly imageEdits: ImageEdit[];
  readonly roundTrip: (Mismatch & { overlay: string })[];
  /** `toolFailed`: kustomize itself failed (killed, unreadable answer), not the overlay. */
  readonly buildFailures: { overlay: string; error: string; toolFailed?: true; refused?: true }[];
  /** Target-selector patches that match nothing (Kustomize says nothing about them). */
  readonly unmatchedPatches: string[];
  /** Objects that two apps of one env share, so that the env root cannot be built. */
  readonly envRootCollisions: string[];
  /**
   * Folders under base/ and overlays/ of no app (or env) that hold files written by hand, one line
   * each: generate never deletes those, and Argo CD makes an Application of each such overlay folder.
   */
  readonly strayFolders: string[];
  /**
   * Registrations (`@strata-apps/<name>` in package.json, pnpm-lock.yaml) of apps whose folder is
   * gone, one line each (`strayRegistrations`): pnpm refuses to install the workspace.
   */
  readonly strayRegistrations: string[];
  /**
   * Files in the generated folders that nothing builds or checks, one line each: any Argo CD source
   * file (`.argocd-source*.yaml`, which Argo CD merges into the Application), and in an app's folders
   * any other file without the generated header.
   */
  readonly handWritten: string[];
  /** App overlays compared. */
  readonly overlays: number;
  /** Of those, the ones whose comparison the last pipeline did and that nothing has changed since. */
  readonly reused: number;
  /** Whole-env roots (`overlays/<env>`) proven, and how many of them had to be built to be. */
  readonly envRoots: number;
  readonly envRootsBuilt: number;
  readonly files: number;
}

export interface CheckOptions extends WarningOptions {
  /** Reuse what the last pipeline proved of apps that have not changed since. @default true */
  readonly cache?: boolean;
}

/** Parses built output the fast way; kustomize's YAML is machine-written. */
export function parseBuilt(yaml: string, overlay: string): Manifest[] {
  const values: unknown[] = [];
  try {
    loadAll(yaml, (v) => values.push(v), { schema: CORE_SCHEMA });
  } catch {
    return parseBuild(yaml, overlay); // names the overlay and the YAML error
  }
  return values.filter((v): v is Manifest => v !== null && typeof v === 'object');
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Every container's image of the env the overlay `file` belongs to, as the app renders it; none when it cannot be rendered. */
function renderedImages(app: App, file: string): string[] {
  const env = file.split('/')[1];
  if (!(ENVIRONMENTS as readonly string[]).includes(env ?? '')) return [];
  try {
    return containerImages(app.manifests(env as Environment));
  } catch {
    return []; // it rendered for the plan: an error now is the app's to report, not the hint's
  }
}

/**
 * The drift of a planned tree, file by file: the diff of each file it would write against the
 * committed one (or, for a symbolic link in the file's place, one line saying so), then each stale file (a generated file that nothing produces) in one line; and,
 * for an overlay of `apps` whose `images:` was edited in place, the `strata set image` command that
 * carries the edit into the app's pins.
 */
export function describeDrift(
  root: string,
  written: readonly string[],
  stale: readonly string[],
  files: ReadonlyMap<string, string>,
  apps: readonly App[],
): { drift: Drift[]; imageEdits: ImageEdit[] } {
  const drift: Drift[] = [];
  const imageEdits: ImageEdit[] = [];
  const appOf = new Map(apps.map((a) => [a.name, a]));
  // Each app's pins as committed at HEAD, asked of git once, when an overlay of it drifted.
  const previous = new Map<string, ReturnType<typeof pinsAtHead>>();
  const previousOf = (app: App) => (previous.has(app.name) ? previous.get(app.name) : previous.set(app.name, pinsAtHead(root, app)).get(app.name));
  const notFolders = new Set<string>();
  for (const file of written) {
    // A file in the place of a generated folder (or of one above it): one line for the folder.
    const notFolder = fileInFolderPlace(root, file);
    if (notFolder !== undefined) {
      if (!notFolders.has(notFolder)) drift.push({ file: notFolder, kind: 'changed', diff: notAFolder(notFolder), notFolder: true });
      notFolders.add(notFolder);
      continue;
    }
    // A link in the file's place holds nothing of its own: whatever it leads to, it is what is wrong.
    if (lstatSync(join(root, file), { throwIfNoEntry: false })?.isSymbolicLink()) {
      const target = readlinkSync(join(root, file));
      drift.push({
        file,
        kind: 'changed',
        diff: `${file}: is a symbolic link; generate replaces it with the file (the link's target, ${target}, is left as it is)`,
      });
      continue;
    }
    const before = read(join(root, file));
    // A diff of lines that differ only by an invisible CR would say nothing: one line says what it is.
    if (before !== undefined && onlyLineEndings(before, files.get(file)!)) {
      drift.push({ file, kind: 'changed', diff: `${file}: ${LINE_ENDINGS_ONLY}`, lineEndings: true });
      continue;
    }
    const app = appOf.get(file.split('/')[2] ?? '');
    if (app && file.startsWith('overlays/')) {
      const edits = explainImageEdits(app, file, before, files.get(file), null);
      // Which side changed is asked of git only for an overlay whose images: differ.
      // And the env's render is looked at for images no pin sets that the edit changed too.
      if (edits.length > 0) imageEdits.push(...explainImageEdits(app, file, before, files.get(file), previousOf(app), renderedImages(app, file)));
    }
    drift.push({
      file,
      kind: before === undefined ? 'missing' : 'changed',
      diff: createTwoFilesPatch(`${file} (committed)`, `${file} (generated)`, before ?? '', files.get(file)!, '', '', { context: 3 }),
    });
  }
  for (const file of [...stale].sort()) drift.push({ file, kind: 'stale', diff: `${file}: generated file that no app produces any more` });
  return { drift, imageEdits };
}

/**
 * The committed topology pictures (docs/) that are not what the generated tree draws, without
 * drawing them: each env's inputs (the files the generator lists under base/ and its overlays, as
 * planned, or as committed where they are what the code generates) hashed and compared with the
 * hash the picture was drawn from (`staleTopology`). Other files there (a note beside an overlay,
 * a generated file that nothing produces any more) are no input.
 */
export function topologyDrift(root: string, generated: ReadonlySet<string>, planned: ReadonlyMap<string, string>): Drift[] {
  const drift: Drift[] = [];
  for (const env of ENVIRONMENTS) {
    // A workspace that keeps no picture of the env has nothing to hash: the tree is not read for it.
    if (keptTopology(root, env).length === 0) continue;
    const inputs = new Map<string, string>();
    for (const path of generated) {
      if (!isTopologyInput(env, path)) continue;
      const content = planned.get(path) ?? read(join(root, path));
      if (content !== undefined) inputs.set(path, content);
    }
    for (const s of staleTopology(root, env, inputs)) drift.push({ file: s.file, kind: 'changed', diff: s.message, picture: true });
  }
  return drift;
}

/**
 * The folders under base/ and overlays/ of no app (or env) that hold a file without the generated
 * header, one line each naming those files: generate removes a stale generated file but never a
 * hand-written one, so the folder stays, and Argo CD's directory generator (overlays/<env>/*) makes
 * an Application of it. `orphans` are those folders (`orphanDirs`): a listing of the generated
 * folders, nothing built; only files in them are read.
 */
export function strayFolders(root: string, orphans: readonly string[]): string[] {
  const lines: string[] = [];
  for (const dir of [...orphans].sort()) {
    // A folder that held only generated files is gone once its files are removed.
    if (!existsSync(join(root, dir))) continue;
    const own = filesIn(join(root, dir), { links: true })
      .map((f) => relative(root, f).split(sep).join('/'))
      .filter((f) => !isGenerated(read(join(root, f)) ?? ''));
    if (own.length === 0) continue;
    const app = dir.split('/').at(-1)!;
    const whose =
      dir.split('/').length === 2 && dir.startsWith(`${Layout.overlays}/`) ? `no env (${app} is not one)` : `no app (there is no ${Layout.app(app)})`;
    const argo =
      dir.startsWith(`${Layout.overlays}/`) && dir.split('/').length === 3
        ? `, and Argo CD makes an Application of every folder under ${dirname(dir)}/`
        : '';
    lines.push(
      `${dir}/: a folder of ${whose} that holds ${own.join(', ')}, written by hand: generate never deletes such files${argo}; move them out or delete the folder`,
    );
  }
  return lines;
}

/**
 * `strata check`: the committed tree is what the code generates (drift), every overlay builds back
 * with the real kustomize to what the code renders (round trip), and every env root builds (proven
 * from its apps' builds, see proveEnvRoot). An app that the last pipeline rendered, built and
 * compared, and of which nothing has changed since (its sources, its files, the tools), is not
 * done again: the pipeline's findings are its findings.
 */
export async function check(workspace: string, selection: Selection = {}, options: CheckOptions = {}): Promise<CheckResult> {
  const root = realpathSync(workspace);
  const env = checkEnv(selection.env);
  // The clusters' settings are refused before any app is loaded, as validate refuses them.
  checkKubernetesSettings(root);
  const envs: Environment[] = env ? [env] : [...ENVIRONMENTS];
  const names = appDirs(root);
  for (const app of selection.apps ?? []) {
    if (!names.includes(app)) throw new UsageError(`unknown app "${app}"; known apps: ${names.join(', ') || '(none)'}`);
  }
  const selected = selection.apps && selection.apps.length > 0 ? [...new Set(selection.apps)].sort() : names;
  const everything = selected === names && !env;

  const tool = toolFingerprint(root);
  const cache: Pick<PipelineCache, 'apps' | 'shared'> = options.cache === false ? { apps: {} } : readCache(root, tool);
  const reused = new Map<string, AppEntry>();
  const listing = new FolderListing(root);
  for (const name of names) {
    const entry = cache.apps[name] && unchanged(root, tool, cache.apps[name], listing);
    if (entry) reused.set(name, entry);
  }
  const fresh = selected.filter((n) => !reused.has(n));
  // Every app that fails, to load or to render, is said in one run: the apps that loaded are rendered.
  const { apps, failures } =
    fresh.length > 0 ? await loadEveryApp(root, fresh, { fresh: true, onWarning: options.onWarning }) : { apps: [], failures: [] };
  if (failures.length === 0) {
    // A misspelt rule in the policy settings is refused as generate refuses it: the tree it would
    // compare with is one generate never writes. A reused app's settings were checked by the run
    // that compared it.
    checkPolicySettings(root, apps);
    checkPinFiles(root, apps);
  }
  const plans: AppPlan[] = eachApp(apps, (app) => planApp(app, schemaMergeKeys, planOptionsOf(root)), failures);

  // Drift: the fresh apps' files, the env roots and (for everything) gitops/ against the plan; the
  // reused apps' files are, byte for byte, what the code generates.
  const inScope = (path: string) => inEnvScope(path, env);
  const files = new Map<string, string>();
  const dirs: string[] = [];
  for (const plan of plans) {
    for (const [path, content] of plan.files) if (inScope(path)) files.set(path, content);
    dirs.push(...plan.dirs.filter(inScope));
  }
  // The env roots and gitops/ as the last pipeline wrote them for exactly these apps, unchanged
  // since: no need to plan them again.
  const shared = names.every((n) => reused.has(n)) ? sharedUnchanged(root, tool, cache.shared, names, listing) : undefined;
  // The env roots as generate writes them: the apps planned here, and the others as the tree holds them (generatedApps).
  if (!shared)
    for (const [path, content] of planEnvironments(generatedApps(root, names, (p) => files.has(p)))) if (inScope(path)) files.set(path, content);
  const known = new Set(files.keys());
  for (const path of Object.keys(shared ?? {})) if (inScope(path) && (everything || !path.startsWith('gitops/'))) known.add(path);
  for (const name of selected) {
    for (const path of Object.keys(reused.get(name)?.outputs ?? {})) if (!path.startsWith(`${Layout.dist}/`) && inScope(path)) known.add(path);
  }
  if (everything && !shared) {
    const byName = new Map(plans.map((p) => [p.app, p]));
    const settings = loadSettings(root);
    const sync = (e: Environment, app: string): AppSyncPlan | undefined =>
      reused.get(app)?.sync[e] ??
      (byName.has(app)
        ? syncPlan(
            app,
            byName.get(app)!.desired[e],
            namespacedOf(root, byName.get(app)!.desired[e]),
            e,
            settings.resourceTrackingMethod,
            settings.installationID,
          )
        : undefined);
    for (const [path, content] of planGitops(root, settings, names, { plans: sync })) {
      files.set(path, content);
      known.add(path);
    }
  }
  // A generated file that git would never commit (untracked, and matched by an ignore rule) is in
  // this checkout's tree and no clone's: refused as generate refuses it, the reused apps' files too.
  refuseIgnored(root, known, { contentOf: (path) => files.get(path), writing: false });
  const changes = planChanges(root, files, everything ? [] : dirs);
  // Generated files that nothing produces: in the fresh apps' folders, or, for everything, anywhere
  // under the generated folders (an env root's neighbours, the folders of a deleted app or env).
  const stale = everything
    ? [Layout.base, Layout.overlays, Layout.gitops]
        .flatMap((d) => listing.files(d))
        .filter((f) => f.endsWith('.yaml') && !known.has(f) && isGenerated(read(join(root, f)) ?? ''))
    : changes.removed;
  const { drift, imageEdits } = describeDrift(root, changes.written, stale, files, apps);
  // The committed topology pictures, by what they were drawn from: the tree as the code generates it.
  if (everything) drift.push(...topologyDrift(root, known, files));

  // A generated folder that is a file keeps every build that reads it from building: its drift line
  // says what to do, and kustomize's failures of the same cause would only repeat it. Such builds
  // are left out, so their round trips are not compared either (the drift fails check).
  const notFolders = drift.filter((d) => d.notFolder).map((d) => d.file);
  const blocked = (...dirs: string[]) => notFolders.some((f) => dirs.some((d) => d === f || d.startsWith(`${f}/`) || f.startsWith(`${d}/`)));

  // Round trip: the committed overlays of the fresh apps built and compared; the reused apps' findings.
  const findings = new Map<string, OverlayFindings>();
  const buildFailures: CheckResult['buildFailures'] = [];
  const targets = plans
    .flatMap((plan) => envs.map((e) => ({ plan, env: e, overlay: Layout.overlay(e, plan.app) })))
    .filter((t) => !blocked(t.overlay, Layout.baseOf(t.plan.app)));
  // What a hand-edited kustomization names to fetch over the network is refused, never fetched, as build refuses it.
  const built = await buildInTree(
    root,
    targets.map((t) => t.overlay),
  );
  built.forEach((r, i) => {
    const t = targets[i]!;
    if (!r.ok) buildFailures.push(buildFailure(r));
    else
      findings.set(
        t.overlay,
        overlayFindings(t.overlay, t.plan.desired[t.env], parseBuilt(r.yaml, r.overlay), read(join(root, t.overlay, 'kustomization.yaml'))),
      );
  });
  for (const [name, entry] of reused) for (const e of envs) findings.set(Layout.overlay(e, name), entry.findings[e]);
  const roundTrip: CheckResult['roundTrip'] = [];
  const unmatchedPatches: string[] = [];
  for (const name of selected) {
    for (const e of envs) {
      const overlay = Layout.overlay(e, name);
      const f = findings.get(overlay);
      if (!f) continue;
      roundTrip.push(...f.roundTrip.map((m) => ({ ...m, overlay })));
      unmatchedPatches.push(...f.unmatched);
    }
  }

  // Env roots: proven from their apps' builds when the root is the generated one and every app's
  // findings are known; built for real otherwise.
  const envRootCollisions: string[] = [];
  const toBuild: string[] = [];
  for (const e of envs) {
    const rootFile = Layout.envKustomization(e);
    const apps = names.map((app) => ({ app, findings: findings.get(Layout.overlay(e, app)) }));
    const failedApp = buildFailures.some((f) => f.overlay.startsWith(`${Layout.envRoot(e)}/`));
    if (failedApp) continue; // the root cannot build either; the app's failure says why
    if (blocked(Layout.envRoot(e), Layout.base)) continue; // nor with a folder of it a file; its drift says why
    if (changes.written.includes(rootFile) || apps.some((a) => !a.findings)) {
      toBuild.push(Layout.envRoot(e));
      continue;
    }
    const proof = proveEnvRoot(e, apps as { app: string; findings: OverlayFindings }[]);
    envRootCollisions.push(...proof.collisions);
    if (proof.unproven) toBuild.push(Layout.envRoot(e));
  }
  for (const r of toBuild.length > 0 ? await buildInTree(root, toBuild) : []) if (!r.ok) buildFailures.push(buildFailure(r));

  const orphans = everything ? orphanDirs(root, new Set(names), undefined) : [];
  const strays = strayFolders(root, orphans);
  const registrations = everything ? strayRegistrations(root) : [];
  const handWritten = handWrittenFiles(root, {
    apps: selected,
    envs,
    known: (path) => known.has(path),
    ...(everything ? { everywhere: { skip: orphans } } : {}),
  });

  const reusedSelected = selected.filter((n) => reused.has(n)).length;
  return {
    drift,
    imageEdits,
    roundTrip,
    buildFailures,
    unmatchedPatches,
    envRootCollisions,
    strayFolders: strays,
    strayRegistrations: registrations,
    handWritten,
    overlays: selected.length * envs.length,
    reused: reusedSelected * envs.length,
    envRoots: envs.length,
    envRootsBuilt: toBuild.length,
    files: known.size,
  };
}

/** A failed build as check reports it. */
function buildFailure(r: { overlay: string; error?: string; toolFailed?: boolean; refused?: boolean }): CheckResult['buildFailures'][number] {
  return { overlay: r.overlay, error: r.error ?? 'failed', ...(r.toolFailed && { toolFailed: true }), ...(r.refused && { refused: true }) };
}
