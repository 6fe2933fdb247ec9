import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Environment } from '@strata/core';
import { HEADER, isGenerated } from '@strata/emit';
import { Layout } from '@strata/project';

/**
 * What a committed topology picture is drawn from, kept in `docs/topology.inputs` so that `strata
 * check` can tell a stale picture from a current one without drawing it (drawing the pictures of
 * every env takes seconds; hashing their inputs, milliseconds): the files of the tree the env's
 * overlays build from, and the code that draws. One line per picture: its path, the hash of its
 * inputs and the hash of the picture itself, so that a picture redrawn or edited without its line
 * is told too.
 */

/**
 * Where the tree files a picture of `env` is drawn from lie: under base/ and overlays/<env>/<app>/
 * (the env root lists the apps, which the overlay folders already say). Of the files there, only
 * the generated ones are inputs: a file without the header (a note kept beside an overlay) is
 * nothing kustomize builds, and is left alone.
 */
export const isTopologyInput = (env: Environment, path: string): boolean =>
  path.startsWith(`${Layout.base}/`) || (path.startsWith(`${Layout.envRoot(env)}/`) && path !== Layout.envKustomization(env));

/** The generated files there as they are on disk, but for the apps in `without`. */
export function topologyInputsOnDisk(root: string, env: Environment, without: readonly string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const skip = (path: string) => without.some((a) => path.startsWith(`${Layout.base}/${a}/`) || path.startsWith(`${Layout.overlay(env, a)}/`));
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return; // not there: no files
    }
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(path);
      } else if (e.isFile() && isTopologyInput(env, path) && !skip(path)) {
        const content = readFileSync(join(root, path), 'utf8');
        if (isGenerated(content)) out.set(path, content);
      }
    }
  };
  walk(Layout.base);
  walk(Layout.envRoot(env));
  return out;
}

/** The code that draws, as the workspace holds it: the graph package's sources and the Graphviz build it renders SVG with. */
function drawingFingerprint(root: string): string {
  const hash = createHash('sha256');
  const src = join(root, 'packages', 'graph', 'src');
  const walk = (dir: string, rel: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.isDirectory()) walk(join(dir, e.name), `${rel}${e.name}/`);
      else if (e.isFile()) hash.update(`${rel}${e.name}\0${readFileSync(join(dir, e.name), 'utf8')}\0`);
    }
  };
  walk(src, '');
  try {
    hash.update(
      `viz\0${(JSON.parse(readFileSync(join(root, 'packages', 'graph', 'node_modules', '@viz-js', 'viz', 'package.json'), 'utf8')) as { version?: string }).version}`,
    );
  } catch {
    // no installed copy to name: the sources decide
  }
  return hash.digest('hex');
}

const CONTAINER_LISTS = /^( *)(?:- )?(?:containers|initContainers|ephemeralContainers):$/;

/**
 * A generated file as the pictures see it: without the images it names, which no picture shows
 * (a Kustomization's `images:` and each container's `image:`), so that a release, which changes
 * only those, leaves the pictures current. Line by line: the generated YAML has one layout, no
 * line folding, lists indented under their key.
 */
export function withoutImages(content: string): string {
  const out: string[] = [];
  let block: 'images' | undefined;
  let containers: number | undefined; // the indent of the containers: key whose items we are in
  for (const line of content.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (block === 'images') {
      if (line === '' || indent > 0) continue;
      block = undefined;
    }
    if (line === 'images:') {
      block = 'images';
      continue;
    }
    if (containers !== undefined && line.trim() !== '' && indent <= containers) containers = undefined;
    if (containers !== undefined) {
      const item = line.slice(containers);
      if (item.startsWith('  - image: ') || item.startsWith('    image: ')) continue;
    }
    const list = CONTAINER_LISTS.exec(line);
    if (list) containers = list[1]!.length + (line.trimStart().startsWith('- ') ? 2 : 0);
    out.push(line);
  }
  return out.join('\n');
}

/** A line of a patch that says which object or item it patches, and sets nothing. */
const IDENTITY = [/^(apiVersion|kind): \S.*$/, /^metadata:$/, /^ {2}(name|namespace): \S.*$/, /^ *(- )?[A-Za-z]+:$/, /^ *- name: \S.*$/];

/**
 * Whether a generated patch, once without its images, sets nothing: the patch an env gets when its
 * image pin differs and the image cannot go into `images:` (another container of the app's objects
 * runs the same repository, as a canary does). A release adds or removes it, and it changes no
 * picture. Its lines then only name the object and the containers (`- name:`), or open the maps
 * that lead to them; any other line (a replica count, a label, a `$patch` directive) is a change.
 */
function setsOnlyImages(content: string): boolean {
  return withoutImages(content)
    .split('\n')
    .every((line) => line === '' || line.startsWith('#') || IDENTITY.some((re) => re.test(line)));
}

/**
 * The hash of a picture's inputs: the drawing code and `files` (path -> content, the env's inputs),
 * without their images (see withoutImages): a patch that sets nothing else counts as absent, and so
 * does its line in the overlay's `patches:`.
 */
export function topologyInputsHash(root: string, files: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256').update(drawingFingerprint(root));
  const imagesOnly = new Set([...files].filter(([path, content]) => path.endsWith('.patch.yaml') && setsOnlyImages(content)).map(([path]) => path));
  for (const path of [...files.keys()].sort()) {
    if (imagesOnly.has(path)) continue;
    let content = withoutImages(files.get(path)!);
    if (path.endsWith('/kustomization.yaml')) content = withoutPatchEntries(content, path.slice(0, -'kustomization.yaml'.length), imagesOnly);
    hash.update(`\0${path}\0${content}`);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** A generated kustomization without its `patches:` entries of the files `gone` (paths from the root; `dir` ends with `/`), and without a `patches:` left empty. */
function withoutPatchEntries(content: string, dir: string, gone: ReadonlySet<string>): string {
  const lines = content.split('\n').filter((line) => !(line.startsWith('  - path: ') && gone.has(dir + line.slice('  - path: '.length))));
  return lines.filter((line, i) => !(line === 'patches:' && !lines[i + 1]?.startsWith('  '))).join('\n');
}

const pictureHash = (picture: string) => `sha256:${createHash('sha256').update(picture).digest('hex')}`;

export interface TopologyStamp {
  readonly inputs: string;
  readonly picture: string;
}

/** The lines of `docs/topology.inputs`, by picture. */
export function readTopologyStamps(root: string): Map<string, TopologyStamp> {
  const out = new Map<string, TopologyStamp>();
  let text: string;
  try {
    text = readFileSync(join(root, Layout.topologyInputs), 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const [path, inputs, picture] = line.split(' ');
    if (path && !path.startsWith('#') && inputs && picture) out.set(path, { inputs, picture });
  }
  return out;
}

/** `docs/topology.inputs` with the line of each picture given (path -> its inputs' hash and content) set, the others kept. */
export function withTopologyStamps(root: string, drawn: ReadonlyMap<string, { readonly inputs: string; readonly picture: string }>): string {
  const stamps = readTopologyStamps(root);
  for (const [path, d] of drawn) stamps.set(path, { inputs: d.inputs, picture: pictureHash(d.picture) });
  const lines = [...stamps].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, s]) => `${path} ${s.inputs} ${s.picture}`);
  return `${HEADER}\n# What each topology picture was drawn from, for strata check; npm run topology draws them and writes it.\n${lines.join('\n')}\n`;
}

/** The topology pictures of `env` the workspace keeps committed (none: nothing to keep in step). */
export function keptTopology(root: string, env: Environment): string[] {
  return (['svg', 'mermaid'] as const).map((f) => Layout.topology(env, f)).filter((p) => existsSync(join(root, p)));
}

/**
 * The committed pictures of `env` that are not what its inputs (`files`, the tree as generated)
 * draw, each with one line saying so: its inputs changed since it was drawn, or the picture itself
 * differs from the one drawn. Pictures the workspace does not keep are not looked at.
 */
export function staleTopology(root: string, env: Environment, files: ReadonlyMap<string, string>): { file: string; message: string }[] {
  const kept = keptTopology(root, env);
  if (kept.length === 0) return [];
  const stamps = readTopologyStamps(root);
  const inputs = topologyInputsHash(root, files);
  const redraw = 'run `npm run topology` (after `npx strata generate`) and commit the pictures and';
  const out: { file: string; message: string }[] = [];
  for (const file of kept) {
    const stamp = stamps.get(file);
    const why = !stamp
      ? `has no line in ${Layout.topologyInputs}, so what it was drawn from is unknown`
      : stamp.inputs !== inputs
        ? `was drawn from other overlays or drawing code than the generated ones`
        : stamp.picture !== pictureHash(readFileSync(join(root, file), 'utf8'))
          ? `is not the picture drawn from its inputs (edited, or drawn without ${Layout.topologyInputs})`
          : undefined;
    if (why) out.push({ file, message: `${file}: ${why}; ${redraw} ${Layout.topologyInputs}` });
  }
  return out;
}
