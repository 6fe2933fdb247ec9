import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { defineApp, formatPins, imageRepositoryProblem, parsePins, type App, type Environment, type ImagePin, type ImagePins } from '@strata/core';
import { checkEnv, checkPinFiles, Layout, loadApps, projectSeverity, UsageError, type WarningOptions } from '@strata/project';
import { applyTree, diffTree, lockTree, openTransaction, recoverLocked, type FileDiff } from '@strata/emit';
import { blockingFindings, rules, runPolicy } from '@strata/policy';
import { appPolicyContext, checkPolicySettings } from '@strata/validate/settings';
import { originOf, setOrigin } from '@strata/core/sources';
import { planTreeOf } from './generate.ts';

/** An image reference as `strata set image` takes it; missing parts are kept from the current pin. */
export interface ImageRefInput {
  readonly repository?: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses `repo:tag`, `repo@sha256:...`, `repo:tag@sha256:...`, `:tag` or `@sha256:...`. */
export function parseImageRef(ref: string): ImageRefInput {
  const at = ref.lastIndexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(':');
  // A colon before the last slash is a registry port (localhost:5000/app), not a tag.
  const hasTag = colon >= 0 && colon > rest.lastIndexOf('/');
  const repository = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon + 1) : undefined;
  const usage = 'give repo:tag, repo@sha256:<64 hex>, :tag or @sha256:<64 hex>';
  if (digest !== undefined && !DIGEST.test(digest))
    throw new UsageError(`image "${ref}": digest "${digest}" must look like sha256:<64 hex characters>; ${usage}`);
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) throw new UsageError(`image "${ref}": "${tag}" is not a valid tag; ${usage}`);
  const invalid = repository === '' ? undefined : imageRepositoryProblem(repository);
  if (invalid) throw new UsageError(`image "${ref}": the repository "${repository}" ${invalid}; ${usage}`);
  if (tag === undefined && digest === undefined) throw new UsageError(`image "${ref}" names neither a tag nor a digest; ${usage}`);
  return { ...(repository ? { repository } : {}), ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** What the container runs, as rendered: `repo:tag@digest`, `repo@digest` or `repo:tag`. */
export function pinRef(pin: ImagePin): string {
  return `${pin.repository}${pin.tag !== undefined ? `:${pin.tag}` : ''}${pin.digest ? `@${pin.digest}` : ''}`;
}

/** Thrown when the requested image breaks the env's policy (exit 1): the input is wrong, not the call. */
export class ImagePolicyError extends Error {
  override readonly name = 'ImagePolicyError';
}

const BOM = '\uFEFF';

/**
 * Where a release writes an app's pins: its images.json, or, when that is a symbolic link, the file
 * it leads to, so the link and whatever else reads its target keep following the pins (as editors
 * and `kustomize edit` write through links). A link that leads outside the repository is refused:
 * the release writes nothing a clone would not have.
 */
function pinTarget(root: string, app: string): string {
  const rel = Layout.pins(app);
  const file = join(root, rel);
  if (!lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) return rel;
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    throw new Error(
      `${rel}: a symbolic link to ${readlinkSync(file)}, which does not exist; link it to the app's pin file, or put the file in its place`,
    );
  }
  const inside = relative(realpathSync(root), real);
  if (inside === '' || inside.split(sep)[0] === '..' || isAbsolute(inside))
    throw new Error(
      `${rel}: a symbolic link to ${real}, outside the repository, which a release does not write; copy the file into the repository in place of the link`,
    );
  return inside.split(sep).join('/');
}

/**
 * The text of an app's images.json without the UTF-8 byte order mark an editor may save it with
 * (Notepad, PowerShell's UTF8), which esbuild's JSON loader, and so the app, skips (RFC 8259 8.1
 * lets a parser ignore it); `bom` says it was there, so the release writes it back as it found it.
 */
function pinsText(root: string, app: string): { text: string; bom: boolean } | undefined {
  const file = join(root, Layout.pins(app));
  if (!existsSync(file)) return undefined;
  const raw = readFileSync(file, 'utf8');
  return raw.startsWith(BOM) ? { text: raw.slice(BOM.length), bom: true } : { text: raw, bom: false };
}

function readPins(root: string, app: App): ImagePins {
  const read = pinsText(root, app.name);
  if (!read) return {};
  // Written back whole by set image and promote: a key written twice would be dropped silently.
  checkPinFiles(root, [app]);
  let value: unknown;
  try {
    value = JSON.parse(read.text);
  } catch (err) {
    // JSON.parse quotes the text around the mistake, line breaks included: one line, visibly.
    const why = JSON.stringify((err as Error).message.replace(/\s+/g, ' ')).slice(1, -1);
    throw new Error(`${Layout.pins(app.name)}: not valid JSON: ${why}`);
  }
  return parsePins(value, Layout.pins(app.name), app.images ?? {});
}

function valueAt(config: unknown, path: string): unknown {
  let v: unknown = config;
  for (const key of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

function pinIn(app: App, config: unknown, container: string, where: string): ImagePin {
  const path = app.images?.[container];
  if (path === undefined)
    throw new UsageError(`app ${app.name} has no pinnable container "${container}"; known: ${Object.keys(app.images ?? {}).join(', ') || 'none'}`);
  const image = valueAt(config, path) as { repository?: string; tag?: string; digest?: string } | undefined;
  if (!image?.repository) throw new Error(`app ${app.name}: "${path}" (container ${container}) is not an image in ${where}`);
  const version = valueAt(config, 'version');
  const tag = image.tag ?? (image.digest ? undefined : typeof version === 'string' ? version : undefined);
  return { repository: image.repository, ...(tag !== undefined ? { tag } : {}), ...(image.digest ? { digest: image.digest } : {}) };
}

/** The image a container runs in an env now, as a pin (from images.json, or else the app's configuration). */
export function currentPin(app: App, env: Environment, container: string): ImagePin {
  return pinIn(app, app.configFor(env), container, env);
}

/** The image a container runs in the app's base (the render of its defaults), which an overlay's `images:` changes. */
export function basePin(app: App, container: string): ImagePin {
  return pinIn(app, app.defaults, container, 'the defaults');
}

/**
 * The container `set image` changes: the one given, or the app's only one. Of several, as `kubectl
 * set image` asks for the container by name, it must be named, unless the reference's repository is
 * what exactly one of them runs in the env (as `kustomize edit set image` matches by image name): a
 * forgotten --container would otherwise put one container's image into another, silently.
 */
function chooseContainer(app: App, env: Environment, given: string | undefined, ref: ImageRefInput): string {
  const names = Object.keys(app.images ?? {});
  if (names.length === 0)
    throw new UsageError(
      `app ${app.name} pins no images: add \`images: { <container>: '<config path>' }\` and \`pins\` (its images.json) to apps/${app.name}/src/app.ts`,
    );
  if (given !== undefined) {
    if (!names.includes(given))
      throw new UsageError(`app ${app.name} has no pinnable container "${given}"; use --container with one of ${names.join(', ')}`);
    return given;
  }
  if (names.length === 1) return names[0]!;
  const runs = names.map((c) => ({ container: c, repository: currentPin(app, env, c).repository }));
  const matching = runs.filter((r) => r.repository === ref.repository);
  if (ref.repository !== undefined && matching.length === 1) return matching[0]!.container;
  throw new UsageError(
    `app ${app.name} pins several containers (${runs.map((r) => `${r.container}: ${r.repository}`).join(', ')}): say which with --container`,
  );
}

/**
 * One change of one container in one env: `changed`, it runs another image; `pinned`, it runs the
 * image it ran, which images.json now pins instead of the app's config leaving it to the env (from
 * then on a change of the config no longer reaches it).
 */
export interface PinChange {
  readonly app: string;
  readonly env: Environment;
  readonly container: string;
  readonly kind: 'changed' | 'pinned';
  readonly from: string;
  readonly to: string;
}

export interface ReleaseResult {
  readonly changes: PinChange[];
  /** The images.json files written, relative to the root. */
  readonly pinFiles: string[];
  /** The generated files the change rewrote, as unified diffs. */
  readonly diffs: FileDiff[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One change as set image and promote print it. */
export function describePinChange(c: PinChange): string {
  return c.kind === 'pinned'
    ? `${c.app} ${c.env} ${c.container}: pinned at ${c.to} (was from the config)`
    : `${c.app} ${c.env} ${c.container}: ${c.from} -> ${c.to}`;
}

/** What a release did, in one line: the images changed and pinned, and the files written; or `nothing changed`. */
export function releaseSummary(r: Pick<ReleaseResult, 'changes' | 'pinFiles' | 'diffs'>): string {
  if (r.changes.length === 0 && r.pinFiles.length === 0 && r.diffs.length === 0) return 'nothing changed';
  const changed = r.changes.filter((c) => c.kind === 'changed').length;
  const pinned = r.changes.length - changed;
  return [
    ...(changed > 0 || pinned === 0 ? [`${plural(changed, 'image')} changed`] : []),
    ...(pinned > 0 ? [`${plural(pinned, 'image')} pinned as ${pinned === 1 ? 'it runs' : 'they run'}`] : []),
    `${plural(r.pinFiles.length, 'pin file')} and ${plural(r.diffs.length, 'generated file')} written`,
  ].join(', ');
}

interface Edit {
  readonly app: App;
  readonly env: Environment;
  readonly container: string;
  readonly pin: ImagePin;
}

/** The value at a finding's field path (`spec.template.spec.containers[0].image`) of a manifest. */
function fieldAt(manifest: unknown, path: string): unknown {
  let v: unknown = manifest;
  for (const key of path.replace(/\[(\d+)\]/g, '.$1').split('.'))
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/**
 * The app as it renders once `pins` are its images.json: the loaded app with those pins in place of
 * the ones it was loaded with (an app hands defineApp the file's parsed JSON as its pins), rendered
 * from its own folder as the loaded app is, so that what its code throws late names its line.
 */
function withPins(app: App, pins: ImagePins): App {
  const released = defineApp({ ...app, pins });
  const origin = originOf(app);
  if (origin) setOrigin(released, origin.root, origin.dir);
  return released;
}

/**
 * One line for each edit that would leave a container without a digest where the policy demands
 * one, or with a placeholder digest (all zeros, one hex digit over and over) that the rule does not
 * count as one, all of them: a release refused one image at a time would take as many runs as it
 * has images to fix. The verdict is the pipeline's: require-image-digest run over the app's objects
 * in the env rendered with the new pins, with the severities and exceptions validate judges them
 * with (an app that excepts the rule for an object may release it by tag, as its env file could).
 */
function digestRefusals(root: string, edits: readonly Edit[]): string[] {
  const rule = rules.find((r) => r.id === 'require-image-digest');
  if (!rule || edits.length === 0) return [];
  checkPolicySettings(root, [...new Set(edits.map((e) => e.app))]);
  const project = projectSeverity(root);
  const refused: string[] = [];
  for (const app of new Set(edits.map((e) => e.app))) {
    let pins = readPins(root, app);
    for (const e of edits.filter((x) => x.app === app)) pins = { ...pins, [e.env]: { ...(pins[e.env] ?? {}), [e.container]: e.pin } };
    const released = withPins(app, pins);
    for (const env of new Set(edits.filter((e) => e.app === app).map((e) => e.env))) {
      const objects = released.manifests(env).map((manifest) => ({ manifest, file: Layout.overlay(env, app.name) }));
      // The rule alone, with the settings that concern it (those of every rule were checked above).
      const ctx = appPolicyContext(project, app, env);
      const only = {
        ...ctx,
        severity: ctx.severity?.[rule.id] ? { [rule.id]: ctx.severity[rule.id]! } : {},
        exceptions: (ctx.exceptions ?? []).filter((x) => x.rule === rule.id),
      };
      // The rule's words for each image it refuses, by the image as rendered.
      const found = new Map<unknown, string>();
      for (const f of blockingFindings(runPolicy(objects, only, [rule]))) {
        const image = f.path ? fieldAt(f.object.manifest, f.path) : undefined;
        if (!found.has(image)) found.set(image, f.message);
      }
      for (const e of edits.filter((x) => x.app === app && x.env === env && found.has(pinRef(x.pin)))) {
        const where = `${e.env} requires images pinned by digest (require-image-digest): ${e.app.name}/${e.container}`;
        refused.push(
          e.pin.digest
            ? `${where}: ${found.get(pinRef(e.pin))}`
            : `${where} "${pinRef(e.pin)}" has none; give repo@sha256:<digest> or @sha256:<digest>`,
        );
      }
    }
  }
  return refused;
}

/**
 * Writes the pins, regenerates the apps they belong to and returns the diff, all or nothing: on any
 * failure, and after a killed run, the images.json files and the tree are as they were.
 */
async function applyEdits(root: string, label: string, edits: readonly Edit[], apps: readonly App[]): Promise<ReleaseResult> {
  const changes: PinChange[] = [];
  // The pins of each app an edit changes, as they will be written.
  const next = new Map<string, ImagePins>();
  const refused = digestRefusals(root, edits);
  if (refused.length > 0) throw new ImagePolicyError(refused.join('\n'));
  for (const e of edits) {
    // A pin the app never reads would be written, reported as a change, and change nothing.
    if (e.app.pins === undefined) {
      throw new UsageError(
        `app ${e.app.name} does not read ${Layout.pins(e.app.name)}, so a pin there would change nothing: add \`import pins from '../images.json'\` and \`pins\` to apps/${e.app.name}/src/app.ts`,
      );
    }
    const before = currentPin(e.app, e.env, e.container);
    const pins = next.get(e.app.name) ?? readPins(root, e.app);
    const held = pins[e.env]?.[e.container];
    // A pin that is already there changes nothing, and its file is left as it is.
    if (held !== undefined && pinRef(held) === pinRef(e.pin)) continue;
    next.set(e.app.name, { ...pins, [e.env]: { ...(pins[e.env] ?? {}), [e.container]: e.pin } });
    // A new pin of the image the config gives is a change too: the env no longer follows its config.
    const from = pinRef(before);
    const to = pinRef(e.pin);
    changes.push({ app: e.app.name, env: e.env, container: e.container, kind: from === to ? 'pinned' : 'changed', from, to });
  }
  const pinFiles = [...next.keys()].map((name) => Layout.pins(name));
  // The apps are rendered from the new pins in memory, before anything is written. App code may not
  // give the thread back for minutes or ever (`for (;;) {}`), and a signal's listener runs only
  // when it does: rendered with a transaction open, the listener would have the pins to undo, so it
  // must stay in place, and Ctrl-C and SIGTERM would wait for the render forever. With nothing
  // written yet, the listeners are set aside while the app's code runs (see @strata/core's
  // interrupts.ts) and the signal ends the run at once, leaving the pins and the tree as they were.
  const tree = await planTreeOf(
    root,
    apps.map((a) => (next.has(a.name) ? withPins(a, next.get(a.name)!) : a)),
  );
  // One transaction for the pins and the tree they make: no app code runs in it, and a failure or a
  // killed process before the commit puts every file back as it was, bytes and mode. The caller
  // holds the tree's lock (see underTreeLock), so no other writer sees the pins half-released.
  const lock = lockTree(root, { label });
  try {
    const release = openTransaction(root);
    try {
      release.apply([...next].map(([name, pins]) => [pinTarget(root, name), `${pinsText(root, name)?.bom ? BOM : ''}${formatPins(pins)}`] as const));
      const { diffs } = diffTree(root, tree.files, tree.dirs);
      applyTree(root, tree.files, { dirs: tree.dirs, transaction: release });
      release.commit();
      return { changes, pinFiles, diffs };
    } catch (err) {
      release.abort();
      throw err;
    }
  } finally {
    lock.release();
  }
}

/**
 * Runs a release with the tree's lock held from before it reads anything: the apps, their pins and
 * the current images it plans from are those the writer before it committed. Read before the lock,
 * two releases at once (or a release and a generate) would each write what it planned from the
 * tree as it was, and the later would undo the earlier while both reported success.
 */
async function underTreeLock<T>(root: string, label: string, run: () => Promise<T>): Promise<T> {
  const lock = lockTree(root, { label });
  try {
    recoverLocked(root);
    return await run();
  } finally {
    lock.release();
  }
}

/** `strata set image`: pins one container of one app in one env to `ref`, then regenerates. */
export async function setImage(
  root: string,
  options: { app: string; env: string; container?: string; ref: string } & WarningOptions,
): Promise<ReleaseResult> {
  const env = checkEnv(options.env);
  if (!env) throw new UsageError('set image needs --env');
  const ref = parseImageRef(options.ref);
  return underTreeLock(root, 'strata set image', () => setImageLocked(root, env, ref, options));
}

async function setImageLocked(
  root: string,
  env: Environment,
  ref: ImageRefInput,
  options: { app: string; container?: string } & WarningOptions,
): Promise<ReleaseResult> {
  const [app] = await loadApps(root, [options.app], { fresh: true, onWarning: options.onWarning });
  const container = chooseContainer(app!, env, options.container, ref);
  const current = currentPin(app!, env, container);
  const pin: ImagePin = {
    repository: ref.repository ?? current.repository,
    ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
    ...(ref.digest !== undefined ? { digest: ref.digest } : {}),
  };
  return applyEdits(root, 'strata set image', [{ app: app!, env, container, pin }], [app!]);
}

/** Thrown when promote cannot make the target run what the source runs (exit 1): the envs, not the call, are wrong. */
export class PromoteError extends Error {
  override readonly name = 'PromoteError';
}

/**
 * Whether `target` runs what `source` runs: the same reference, or the source's `repo:tag` pinned
 * by digest in the target (what prod's require-image-digest asks of a release staging runs by tag).
 */
function sameRelease(source: ImagePin, target: ImagePin): boolean {
  if (pinRef(source) === pinRef(target)) return true;
  return source.repository === target.repository && source.digest === undefined && source.tag !== undefined && source.tag === target.tag;
}

/**
 * `strata promote`: copies each image pin of the apps (all by default) from one env to the next;
 * refuses (PromoteError, nothing written) when a container the source does not pin runs another
 * image in the target, or when a pin would reach the target without the digest its policy demands:
 * every refusal, one line each.
 */
export async function promote(
  root: string,
  options: { from: string; to: string; apps?: readonly string[] } & WarningOptions,
): Promise<ReleaseResult> {
  const from = checkEnv(options.from);
  const to = checkEnv(options.to);
  if (!from || !to) throw new UsageError('promote needs --from and --to');
  if (from === to) throw new UsageError(`promote --from ${from} --to ${to}: the envs must differ`);
  return underTreeLock(root, 'strata promote', () => promoteLocked(root, from, to, options));
}

async function promoteLocked(
  root: string,
  from: Environment,
  to: Environment,
  options: { apps?: readonly string[] } & WarningOptions,
): Promise<ReleaseResult> {
  const apps = await loadApps(root, options.apps, { fresh: true, onWarning: options.onWarning });
  const edits: Edit[] = [];
  const unpinned: string[] = [];
  for (const app of apps) {
    const pins = readPins(root, app);
    const source = pins[from] ?? {};
    // What images.json pins in the source env moves.
    for (const [container, pin] of Object.entries(source)) edits.push({ app, env: to, container, pin });
    // A container the source leaves to the app's config has no pin to move: when the target runs
    // another image, promoting cannot make it run what the source runs, and saying nothing changed
    // would be false.
    for (const container of Object.keys(app.images ?? {})) {
      if (source[container]) continue;
      const runs = currentPin(app, from, container);
      const target = currentPin(app, to, container);
      if (sameRelease(runs, target)) continue;
      unpinned.push(
        `${Layout.pins(app.name)}: ${from} pins no image for ${app.name}/${container} (it runs ${pinRef(runs)}, from its config) ` +
          `while ${to} runs ${pinRef(target)} (${pins[to]?.[container] ? 'pinned' : 'from its config'}); ` +
          `nothing promoted: pin ${from} first with npx strata set image --app ${app.name} --env ${from} --container ${container} <image>`,
      );
    }
  }
  // Every refusal at once, one line each: those of the containers the source does not pin, then those
  // of the pins that would arrive without the digest the target demands.
  const refused = [...unpinned, ...digestRefusals(root, edits)];
  if (refused.length > 0) throw new PromoteError(refused.join('\n'));
  return applyEdits(root, 'strata promote', edits, apps);
}
