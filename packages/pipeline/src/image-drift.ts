import { parse } from 'yaml';
import { ENVIRONMENTS, parsePins, type App, type Environment, type ImagePin, type ImagePins } from '@strata/core';
import { Layout, runGit } from '@strata/project';
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
  /**
   * The env's other images that the same `images:` edit changed (kustomize's transformer changes
   * every container whose image matches, as a canary's of the same repository), which no pin sets:
   * `set image` does not carry them, and generate undoes them.
   */
  readonly unpinned?: readonly { readonly image: string; readonly ref: string }[];
}

interface ImageEntry {
  readonly name?: string;
  readonly newName?: string;
  readonly newTag?: string;
  readonly digest?: string;
  readonly tagSuffix?: string;
}

const OVERLAY = /^overlays\/([^/]+)\/([^/]+)\/(?:namespaced\/)?kustomization\.yaml$/;
const ENTRY_FIELDS = ['name', 'newName', 'newTag', 'digest', 'tagSuffix'] as const;

/**
 * The kustomization's `images:` entries in order, or undefined when kustomize would refuse them (a
 * field that is not a string, such as `newTag: 1.10`): the build failure says why, nothing to explain.
 */
function entries(text: string | undefined): ImageEntry[] | undefined {
  let doc: unknown;
  try {
    doc = text === undefined ? undefined : parse(text);
  } catch {
    return undefined; // not YAML: the drift diff shows it, nothing to explain
  }
  const list = doc !== null && typeof doc === 'object' ? (doc as { images?: unknown }).images : undefined;
  const out: ImageEntry[] = [];
  for (const e of Array.isArray(list) ? list : []) {
    if (e === null || typeof e !== 'object') return undefined;
    const entry = e as Record<string, unknown>;
    if (ENTRY_FIELDS.some((k) => entry[k] !== undefined && entry[k] !== null && typeof entry[k] !== 'string')) return undefined;
    out.push(entry as ImageEntry);
  }
  return out;
}

const pinRef = (p: ImagePin) => `${p.repository}${p.tag ? `:${p.tag}` : ''}${p.digest ? `@${p.digest}` : ''}`;

/**
 * kustomize's image.Split: the name ends at the first `:` or `@` after the first `/`, so the text a
 * `newName` carries after its own `:` (`registry/app:1.2`) stays in the name and the tag comes after it.
 */
function split(image: string): { name: string; tag: string; digest: string } {
  const slash = Math.max(image.indexOf('/'), 0);
  const search = image.slice(slash);
  const at = search.indexOf('@');
  const colon = search.indexOf(':');
  if (colon < 0 && at < 0) return { name: image, tag: '', digest: '' };
  if (at >= 0 && (at < colon || colon < 0)) return { name: image.slice(0, slash + at), tag: '', digest: image.slice(slash + at + 1) };
  if (at >= 0) return { name: image.slice(0, slash + colon), tag: image.slice(slash + colon + 1, slash + at), digest: image.slice(slash + at + 1) };
  return { name: image.slice(0, slash + colon), tag: image.slice(slash + colon + 1), digest: '' };
}

/** kustomize's image.IsImageMatched: the entry's name, read as a regular expression, then an optional tag and sha256 digest. */
function matches(image: string, name: string): boolean {
  return new RegExp(`^${name}(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`).test(image);
}

/** One application of an `images:` entry, as kustomize's image tag updater makes it. */
function apply(image: string, e: ImageEntry): string {
  if (!matches(image, e.name ?? '')) return image;
  let { name, tag, digest } = split(image);
  if (e.newName) name = e.newName;
  // A new tag or digest replaces both; a suffix lengthens the tag.
  if (e.newTag || e.digest) [tag, digest] = [e.newTag ?? '', e.digest ?? ''];
  else if (e.tagSuffix) [tag, digest] = [tag + e.tagSuffix, ''];
  return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/**
 * What a kustomization's `images:` makes of an image, as kustomize build writes it: each entry in
 * turn, so a later entry can take up what an earlier one made (`kustomize edit set image` names the
 * image the env runs, not the base's). kustomize applies each entry twice to a container of a pod or
 * pod template (once to every containers list, once by its image field specs), and once to any other
 * (a CronJob's): where the two differ (a tagSuffix, a newName that still matches the entry's name),
 * the entry builds another image in each place and undefined is returned. `by` is the name of the last
 * entry that changed the image.
 */
function build(image: string, list: readonly ImageEntry[]): { ref: string; by?: string } | undefined {
  let once = image;
  let twice = image;
  let by: string | undefined;
  for (const e of list) {
    once = apply(once, e);
    const next = apply(apply(twice, e), e);
    if (next !== twice) by = e.name;
    twice = next;
  }
  return once === twice ? { ref: twice, ...(by !== undefined ? { by } : {}) } : undefined;
}

/** Whether `set image` takes the reference: a newName that carries a tag of its own may build to no image reference. */
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
 * one git can show), undefined when there is no git history to ask (no commit yet, or a workspace
 * that is no git repository: allowed, nothing was committed). A git that cannot run throws (see
 * runGit): its words, not a guess made without the history.
 */
export function pinsAtHead(root: string, app: App): ImagePins | null | undefined {
  const file = Layout.pins(app.name);
  const head = runGit(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { outsideRepository: 'undefined' });
  if (head === undefined || head.status !== 0) return undefined;
  const shown = runGit(root, ['show', `HEAD:./${file}`]);
  if (shown.status !== 0) return null;
  const text = shown.stdout;
  try {
    return parsePins(JSON.parse(text), `${file} at HEAD`, app.images ?? {});
  } catch {
    return null;
  }
}

/**
 * Explains a generated overlay whose `images:` differs from what the app's pins generate: changed in
 * place (by `kustomize edit set image`, a release bot's write-back, a hand edit), or left as the
 * pins made it before they changed (a bot that bumps images.json without regenerating). For each
 * pinnable container whose image the overlay builds otherwise, the `strata set image` command that
 * puts the overlay's image into the pins, and which side changed, judged against `previous` (the pins
 * at git HEAD, `pinsAtHead`): a pin the overlay still holds at HEAD changed, an overlay whose pin is
 * as at HEAD was edited; otherwise either. The image is the one kustomize builds from what the
 * overlay's `images:` transforms (the base's image, or the env's own where the overlay's patch sets
 * it). Images that build to what generate writes, to no reference `set image` takes (a newName that
 * holds a tag, before the base's), or to another image in each place are left to the drift diff.
 */
export function explainImageEdits(
  app: App,
  file: string,
  committed: string | undefined,
  generated: string | undefined,
  previous?: ImagePins | null,
  /** The images of the env's render, every container's: those no pin sets are named when the edit changed them too. */
  rendered: readonly string[] = [],
): ImageEdit[] {
  const m = OVERLAY.exec(file);
  if (!m || m[2] !== app.name || !(ENVIRONMENTS as readonly string[]).includes(m[1]!)) return [];
  const env = m[1] as Environment;
  const now = entries(committed);
  const before = entries(generated) ?? [];
  if (!now) return [];
  const containers = Object.keys(app.images ?? {});
  const edits: ImageEdit[] = [];
  const pinnedRefs = new Set<string>();
  for (const container of containers) {
    let base: string;
    let desired: string;
    try {
      base = pinRef(basePin(app, container));
      desired = pinRef(currentPin(app, env, container));
    } catch {
      continue;
    }
    let built: ReturnType<typeof build>;
    let wanted: ReturnType<typeof build>;
    try {
      // What the images: transformer is given: the base's image where generate wrote an entry for
      // it, else the env's own image, which the overlay's patch sets (a base pinned by digest).
      const given = build(base, before)?.ref === desired ? base : desired;
      built = build(given, now);
      wanted = build(given, before);
    } catch {
      return []; // a name kustomize cannot read as a pattern: the build fails and says so
    }
    pinnedRefs.add(desired);
    if (!built || !wanted || built.ref === wanted.ref || !pinnable(built.ref)) continue;
    const ref = built.ref;
    const many = containers.length > 1;
    const command = `npx strata set image --app ${app.name} --env ${env}${many ? ` --container ${container}` : ''} ${ref}`;
    // defineApp checked the pins (parsePins) before they got here.
    const pin = (app.pins as ImagePins | undefined)?.[env]?.[container];
    const then = previous === undefined ? undefined : (previous?.[env]?.[container] ?? null);
    const pinsChanged = then === undefined ? undefined : JSON.stringify(then) !== JSON.stringify(pin ?? null);
    const cause = pinsChanged === false ? 'overlay' : pinsChanged && then && pinRef(then) === ref ? 'pins' : 'either';
    edits.push({
      file,
      app: app.name,
      env,
      ...(many ? { container } : {}),
      image: built.by ?? wanted.by ?? split(base).name,
      ref,
      command,
      cause,
      pinned: wanted.ref,
    });
  }
  if (edits.length === 0) return edits;
  const unpinned = [...new Set(rendered)]
    .filter((image) => !pinnedRefs.has(image))
    .flatMap((image) => {
      const edited = build(image, now);
      const generatedAs = build(image, before);
      return edited && generatedAs && edited.ref !== generatedAs.ref ? [{ image, ref: edited.ref }] : [];
    });
  return unpinned.length > 0 ? edits.map((e) => ({ ...e, unpinned })) : edits;
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** Every container's image in `objects`, wherever a pod template or spec holds it. */
export function containerImages(objects: readonly unknown[]): string[] {
  const images: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) for (const item of node) walk(item);
    else if (node !== null && typeof node === 'object')
      for (const [key, value] of Object.entries(node)) {
        if (CONTAINER_LISTS.has(key) && Array.isArray(value))
          for (const c of value) if (typeof (c as { image?: unknown } | null)?.image === 'string') images.push((c as { image: string }).image);
        walk(value);
      }
  };
  walk(objects);
  return images;
}

/**
 * An image the overlay and the pins disagree on, as check prints it: which side changed and the one
 * fix for it; when that is not known, both fixes, never only the one that undoes the pin.
 */
export function describeImageEdit(e: ImageEdit): string {
  const pins = Layout.pins(e.app);
  const now = e.pinned ? `${pins} now pins ${e.pinned}` : `${pins} now pins another image`;
  // What the command does not carry: the edit's change of images the app's config sets, not its pins.
  const rest = (e.unpinned ?? []).map(
    (u) =>
      `\n  the same edit changed ${u.image} to ${u.ref}, which no pin sets (the app's config does, in apps/${e.app}/src): ` +
      'the command above leaves it as the config has it; change it there too to keep it',
  );
  switch (e.cause) {
    case 'overlay':
      return `${e.file}: images: ${e.image} was edited in the generated overlay (to ${e.ref}); generate would undo it. Carry it into ${pins} with:\n  ${e.command}${rest.join('')}`;
    case 'pins':
      return `${e.file}: images: ${e.image} is ${e.ref}, as ${pins} pinned it at HEAD; ${now}: run \`npx strata generate\` to carry the pin into the overlay`;
    case 'either':
      return (
        `${e.file}: images: ${e.image} is ${e.ref} in the overlay, and ${e.pinned ?? 'another image'} in ${pins}. ` +
        `If the pin is the change you want, run \`npx strata generate\`; if the overlay's is, carry it into the pin with:\n  ${e.command}${rest.join('')}`
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
