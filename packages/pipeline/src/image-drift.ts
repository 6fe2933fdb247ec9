import { parse } from 'yaml';
import { ENVIRONMENTS, type App, type Environment } from '@strata/core';
import { currentPin } from './release.ts';

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
  /** What the edited entry makes of it: `repo:tag`, `repo@digest` or `repo:tag@digest`. */
  readonly ref: string;
  /** `strata set image ...`, ready to run. */
  readonly command: string;
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

const same = (a: ImageEntry | undefined, b: ImageEntry | undefined) =>
  (a?.newName ?? a?.name) === (b?.newName ?? b?.name) && a?.newTag === b?.newTag && a?.digest === b?.digest;

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
 * Explains a generated overlay whose `images:` was changed in place (by `kustomize edit set image`,
 * a release bot's write-back, a hand edit): for each image the committed file sets differently from
 * what the app generates, the `strata set image` command that puts the same image into the app's
 * pins, so that generate keeps the edit instead of undoing it. Entries the app cannot pin, or that
 * name neither a tag nor a digest, are left to the drift diff.
 */
export function explainImageEdits(app: App, file: string, committed: string | undefined, generated: string | undefined): ImageEdit[] {
  const m = OVERLAY.exec(file);
  if (!m || m[2] !== app.name || !(ENVIRONMENTS as readonly string[]).includes(m[1]!)) return [];
  const env = m[1] as Environment;
  const before = entries(generated);
  const edits: ImageEdit[] = [];
  for (const [name, entry] of entries(committed)) {
    if (same(entry, before.get(name)) || (!entry.newTag && !entry.digest)) continue;
    const container = containerFor(app, env, name);
    if (container === undefined) continue;
    const ref = `${entry.newName ?? name}${entry.newTag ? `:${entry.newTag}` : ''}${entry.digest ? `@${entry.digest}` : ''}`;
    const many = Object.keys(app.images ?? {}).length > 1;
    const command = `npx strata set image --app ${app.name} --env ${env}${many ? ` --container ${container}` : ''} ${ref}`;
    edits.push({ file, app: app.name, env, ...(many ? { container } : {}), image: name, ref, command });
  }
  return edits;
}
