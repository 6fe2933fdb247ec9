import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { ENVIRONMENTS, parsePins, type App, type Environment, type ImagePin, type ImagePins } from '@strata/core';
import { Layout } from '@strata/project';
import { basePin, currentPin, parseImageRef } from './release.ts';

/** An `images:` edit made in a generated overlay, and the command that makes it in the source. */
export interface ImageEdit {
  /** The overlay's kustomization, relative to the root. */
  readonly file: string;
  readonly app: string;
  readonly env: Environment;
  /** The pin's container key, when the app pins more than one. */
  readonly container?: string;
  /** The `images:` entry's `name`: the image the base uses. */
  readonly image: string;
  /** What the edited entry makes of the base's image, as kustomize builds it: `repo:tag`, `repo@digest` or `repo:tag@digest`. */
  readonly ref: string;
  /** `strata set image ...`, ready to run. */
  readonly command: string;
  /**
   * Which side changed: `overlay`, the overlay's `images:` (the pins are as committed at HEAD); `pins`,
   * the app's images.json (the overlay is what its pins at HEAD generated); `either`, not known (no
   * git, or both changed), so both fixes are offered.
   */
  readonly cause: 'overlay' | 'pins' | 'either';
  /** What the pins now make of the image (what generate writes), when they set it. */
  readonly pinned?: string;
}

interface ImageEntry {
  readonly name: string;
  readonly newName?: string;
  readonly newTag?: string;
  readonly digest?: string;
}

const OVERLAY = /^overlays\/([^/]+)\/([^/]+)\/(?:namespaced\/)?kustomization\.yaml$/;

function entries(text: string | undefined): Map<string, ImageEntry> {
  let doc: unknown;
  try {
    doc = text === undefined ? undefined : parse(text);
  } catch {
    return new Map(); // not YAML: the drift diff shows it, nothing to explain
  }
  const list = doc !== null && typeof doc === 'object' ? (doc as { images?: unknown }).images : undefined;
  const out = new Map<string, ImageEntry>();
  for (const e of Array.isArray(list) ? list : []) {
    if (e !== null && typeof e === 'object' && typeof (e as ImageEntry).name === 'string') out.set((e as ImageEntry).name, e as ImageEntry);
  }
  return out;
}

const pinRef = (p: ImagePin) => `${p.repository}${p.tag ? `:${p.tag}` : ''}${p.digest ? `@${p.digest}` : ''}`;

/**
 * What an `images:` entry makes of the base's image, as kustomize build writes it: `newName` replaces
 * the repository and keeps the base's tag and digest; `newTag` alone replaces both by the tag,
 * `digest` alone both by the digest, and the two together set both. No entry leaves the base's image.
 */
function resolve(base: ImagePin, e: ImageEntry | undefined): string {
  if (!e) return pinRef(base);
  const repository = e.newName || base.repository;
  const tag = e.newTag || e.digest ? e.newTag : base.tag;
  const digest = e.newTag || e.digest ? e.digest : base.digest;
  return pinRef({ repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) });
}

/** Whether `set image` takes the reference: a newName that carries a tag of its own builds to no image reference. */
function pinnable(ref: string): boolean {
  try {
    parseImageRef(ref);
    return true;
  } catch {
    return false;
  }
}

/**
 * The app's pins as committed at git HEAD: `null` when HEAD has no pin file for it (or it is not
 * one git can show), undefined when there is no git history to ask.
 */
export function pinsAtHead(root: string, app: App): ImagePins | null | undefined {
  const file = Layout.pins(app.name);
  let text: string;
  try {
    execFileSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: root, stdio: 'pipe' });
  } catch {
    return undefined;
  }
  try {
    text = execFileSync('git', ['show', `HEAD:./${file}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
  try {
    return parsePins(JSON.parse(text), `${file} at HEAD`, app.images ?? {});
  } catch {
    return null;
  }
}

function valueAt(config: unknown, path: string): unknown {
  let v: unknown = config;
  for (const key of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/** The pin key of the app's container whose image the entry names: by the base's repository, or the env's. */
function containerFor(app: App, env: Environment, image: string): string | undefined {
  for (const [container, path] of Object.entries(app.images ?? {})) {
    const base = (valueAt(app.defaults, path) as { repository?: string } | undefined)?.repository;
    let now: string | undefined;
    try {
      now = currentPin(app, env, container).repository;
    } catch {
      now = undefined;
    }
    if (image === base || image === now) return container;
  }
  return undefined;
}

/**
 * Explains a generated overlay whose `images:` differs from what the app's pins generate: changed in
 * place (by `kustomize edit set image`, a release bot's write-back, a hand edit), or left as the
 * pins made it before they changed (a bot that bumps images.json without regenerating). For each
 * such image, the `strata set image` command that puts the overlay's image into the pins, and which
 * side changed, judged against `previous` (the pins at git HEAD, `pinsAtHead`): a pin the overlay
 * still holds at HEAD changed, an overlay whose pin is as at HEAD was edited; otherwise either.
 * Entries the app cannot pin, that build to what generate writes, or to no image `set image` takes
 * (neither tag nor digest, a newName that holds a tag), are left to the drift diff.
 */
export function explainImageEdits(
  app: App,
  file: string,
  committed: string | undefined,
  generated: string | undefined,
  previous?: ImagePins | null,
): ImageEdit[] {
  const m = OVERLAY.exec(file);
  if (!m || m[2] !== app.name || !(ENVIRONMENTS as readonly string[]).includes(m[1]!)) return [];
  const env = m[1] as Environment;
  const before = entries(generated);
  const edits: ImageEdit[] = [];
  for (const [name, entry] of entries(committed)) {
    const container = containerFor(app, env, name);
    if (container === undefined) continue;
    // Any edit of the entry (newName, newTag, digest, or several) that changes what the overlay
    // deploys, judged by the image kustomize builds from the base's, not by the entry's text.
    let base: ImagePin;
    try {
      base = basePin(app, container);
    } catch {
      continue;
    }
    const ref = resolve(base, entry);
    const wanted = before.get(name);
    if (ref === resolve(base, wanted) || !pinnable(ref)) continue;
    const many = Object.keys(app.images ?? {}).length > 1;
    const command = `npx strata set image --app ${app.name} --env ${env}${many ? ` --container ${container}` : ''} ${ref}`;
    // defineApp checked the pins (parsePins) before they got here.
    const now = (app.pins as ImagePins | undefined)?.[env]?.[container];
    const then = previous === undefined ? undefined : (previous?.[env]?.[container] ?? null);
    const pinsChanged = then === undefined ? undefined : JSON.stringify(then) !== JSON.stringify(now ?? null);
    const cause = pinsChanged === false ? 'overlay' : pinsChanged && then && pinRef(then) === ref ? 'pins' : 'either';
    edits.push({
      file,
      app: app.name,
      env,
      ...(many ? { container } : {}),
      image: name,
      ref,
      command,
      cause,
      ...(wanted ? { pinned: resolve(base, wanted) } : {}),
    });
  }
  return edits;
}

/**
 * An image the overlay and the pins disagree on, as check prints it: which side changed and the one
 * fix for it; when that is not known, both fixes, never only the one that undoes the pin.
 */
export function describeImageEdit(e: ImageEdit): string {
  const pins = Layout.pins(e.app);
  const now = e.pinned ? `${pins} now pins ${e.pinned}` : `${pins} now pins another image`;
  switch (e.cause) {
    case 'overlay':
      return `${e.file}: images: ${e.image} was edited in the generated overlay (to ${e.ref}); generate would undo it. Carry it into ${pins} with:\n  ${e.command}`;
    case 'pins':
      return `${e.file}: images: ${e.image} is ${e.ref}, as ${pins} pinned it at HEAD; ${now}: run \`npx strata generate\` to carry the pin into the overlay`;
    case 'either':
      return (
        `${e.file}: images: ${e.image} is ${e.ref} in the overlay, and ${e.pinned ?? 'another image'} in ${pins}. ` +
        `If the pin is the change you want, run \`npx strata generate\`; if the overlay's is, carry it into the pin with:\n  ${e.command}`
      );
  }
}

/** What to do about the image edits `describeImageEdit` printed, one line per kind of cause. */
export function imageEditHints(edits: readonly ImageEdit[]): string[] {
  const causes = new Set(edits.map((e) => e.cause));
  const apps = [...new Set(edits.filter((e) => e.cause === 'pins').map((e) => Layout.pins(e.app)))];
  return [
    ...(causes.has('pins')
      ? [`${apps.join(', ')} changed since the overlays were generated: run \`npx strata generate\` and commit the result`]
      : []),
    ...(causes.has('overlay')
      ? ["an overlay's images: was edited in place: run the `strata set image` command above (it regenerates the tree), then commit"]
      : []),
    ...(causes.has('either')
      ? [
          "an overlay's images: and its app's pins disagree: run `npx strata generate` if the pin is the change, or the `strata set image` command above if the overlay's edit is, then commit",
        ]
      : []),
  ];
}
