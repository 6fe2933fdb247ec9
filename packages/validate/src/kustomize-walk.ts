import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import type { BuildOrigin } from '@strata/kustomize';
import { isKustomizationFile, KUSTOMIZATION_FILES, kustomizationFilesIn } from '@strata/kustomize/files';
import { isPlainObject } from '@strata/core';
import { ToolError, type Problem } from '@strata/project';
import { decoderPath } from './decode.ts';
import { decodeTexts, kustomizeInputs, TWICE, type KustomizeInput } from './read.ts';
import { remoteInputs } from '@strata/kustomize/remote';
import { isWalkedFile } from './sources.ts';
import type { ParsedInputs, Placed, SourceDoc } from './types.ts';

/** A kustomization file met in a folder walk, and what of the walk it reads itself. */
interface Met {
  /** Its key in `ParsedInputs.files`. */
  readonly file: string;
  readonly doc: SourceDoc;
  /** Its folder, absolute. */
  readonly dir: string;
  readonly component: boolean;
  /** Walked files it names, by key: as a resource, or as another input (a patch, a generator's file). */
  readonly reads: Map<string, KustomizeInput | 'resource'>;
  /** Kustomization files of the walk whose folders it names (resources, components, bases), by key. */
  readonly pulls: string[];
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const texts = (v: unknown) => list(v).filter((p): p is string => typeof p === 'string' && !p.includes('\n'));

/** The entries of a kustomization that name other trees or resources: folders, files or remote URLs. */
const treeEntries = (k: Record<string, unknown>) => [...texts(k.resources), ...texts(k.bases), ...texts(k.components)];

/**
 * The files of its folder that a kustomization file named on its own reads, through the
 * kustomizations of that folder it pulls in: their resources, patches and other inputs, and the
 * kustomization files of the folders they name, as absolute paths. A walk of the folder reads them,
 * so that they are judged in the build and its findings are placed at their lines: read beside the
 * file, they are placed alike. Only what a walk of the folder would read is taken (its YAML, JSON and
 * kustomization files, not in hidden folders or node_modules); a base outside it is read for its
 * lines as for any walk.
 */
export function namedKustomizationReads(file: string): string[] {
  const top = dirname(file);
  const inFolder = (path: string) => {
    const rel = relative(top, path);
    const folders = rel.split(sep).slice(0, -1);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && folders.every((part) => !part.startsWith('.') && part !== 'node_modules');
  };
  const out = new Set<string>();
  const visit = (kustomization: string) => {
    let k: unknown;
    try {
      k = parse(readFileSync(kustomization, 'utf8'), { maxAliasCount: 100 });
    } catch {
      return; // kustomize says what is wrong with it when it builds
    }
    if (!isPlainObject(k)) return;
    const dir = dirname(kustomization);
    const named = [...treeEntries(k), ...kustomizeInputs(k).map(([path]) => path)];
    for (const entry of named) {
      const target = resolve(dir, entry);
      if (!inFolder(target)) continue;
      const st = statSync(target, { throwIfNoEntry: false });
      if (st?.isFile() && isWalkedFile(basename(target))) out.add(target);
      else if (st?.isDirectory())
        for (const pulled of kustomizationFilesIn(target))
          if (!out.has(pulled)) {
            out.add(pulled);
            visit(pulled);
          }
    }
  };
  visit(file);
  out.delete(file);
  return [...out];
}

/** A line of `d`, with the object as `d` writes it. */
function placeIn(d: SourceDoc, line: number): Placed {
  const { name, namespace } = d.manifest.metadata;
  return {
    file: d.file,
    line,
    written: { ...(typeof name === 'string' ? { name } : {}), ...(typeof namespace === 'string' ? { namespace } : {}) },
  };
}

/**
 * Where the problems of a built object are in the tree: at a field the object has as its source file
 * writes it, at that line of its source (also where kustomize read the line as YAML 1.2 does and
 * kubectl would read it otherwise, an unquoted yes: the problem then says so); at a field a strategic-merge patch file of the build sets to
 * the value built, at that line of the patch; at a field the kustomization set or changed otherwise
 * (an inline or JSON patch, a namespace, a prefix), at the kustomization; a generated object at its
 * generator.
 */
function placement(
  built: SourceDoc,
  origin: BuildOrigin | null,
  m: Met,
  sources: ReadonlyMap<string, { readonly key: string; readonly docs: readonly SourceDoc[] }>,
  patches: readonly SourceDoc[],
  kustomizations: readonly SourceDoc[],
): (path?: string) => Placed {
  const kustomization: Placed = { file: m.file, line: m.doc.line };
  const path = origin && !origin.repo ? origin.path : undefined;
  if (path === undefined) {
    const by = origin?.configuredIn ? sources.get(resolve(m.dir, origin.configuredIn)) : undefined;
    const generator = by?.docs.find((d) => isKustomizationFile(basename(d.file)));
    if (!by || !generator) return () => kustomization;
    const field = built.manifest.kind === 'Secret' ? 'secretGenerator' : 'configMapGenerator';
    const at = { file: by.key, line: generator.lineOf([field]) };
    return () => at;
  }
  const source = sourceDoc(built, sources.get(resolve(m.dir, path))?.docs ?? []);
  if (!source) return () => kustomization;
  return (field) => {
    if (field === undefined) return placeIn(source, source.line);
    const segments = segmentsOf(built.manifest, field);
    const value = valueAt(built.manifest, segments);
    // A field the object has is the source's when the source writes it so; a field it lacks (a
    // missing limit, say), where the source has its nearest parent the object has.
    let n = segments.length;
    while (n > 0 && valueAt(built.manifest, segments.slice(0, n)) === undefined) n--;
    const fromSource =
      value === undefined
        ? valueAt(source.manifest, segments.slice(0, n)) !== undefined || n === 0
        : JSON.stringify(value) === JSON.stringify(valueAt(source.manifest, segments));
    if (fromSource) return placeIn(source, source.lineOf(segments));
    // A value kustomize read as YAML 1.2 does, other than kubectl reads the line (an unquoted yes, text to it).
    const retyped = value === undefined ? undefined : kustomizeReading(source, segments);
    if (retyped && JSON.stringify(retyped.value) === JSON.stringify(value)) return { ...placeIn(source, source.lineOf(segments)), ...retyped.why };
    const set = (d: SourceDoc) =>
      JSON.stringify(valueAt(d.manifest, segments)) === JSON.stringify(value) ||
      JSON.stringify(kustomizeReading(d, segments)?.value) === JSON.stringify(value);
    const patch = value === undefined ? undefined : sourceDoc(built, patches.filter(set));
    if (patch) {
      const why = JSON.stringify(valueAt(patch.manifest, segments)) === JSON.stringify(value) ? undefined : kustomizeReading(patch, segments)?.why;
      return { ...placeIn(patch, patch.lineOf(segments)), ...why };
    }
    const images = segments.at(-1) === 'image' ? imagesEntry(kustomizations, [value, valueAt(source.manifest, segments)]) : undefined;
    return images ?? kustomization;
  };
}

/**
 * The value at a path of a file's object as kustomize reads it (YAML 1.2), where that differs from
 * kubectl's reading (`SourceDoc.yaml12`); with, where the path is the one value read apart, why the
 * build holds it (`Placed.why`).
 */
function kustomizeReading(d: SourceDoc, segments: readonly (string | number)[]): { value: unknown; why?: { why: string } } | undefined {
  const within = (d.yaml12 ?? []).filter((r) => r.path.length >= segments.length && segments.every((s, i) => r.path[i] === s));
  if (within.length === 0) return undefined;
  let value: unknown = structuredClone(valueAt(d.manifest, segments));
  for (const r of within) {
    const rest = r.path.slice(segments.length);
    if (rest.length === 0) {
      value = r.absent === 'yaml12' ? undefined : r.yaml12;
      continue;
    }
    const parent = valueAt(value, rest.slice(0, -1));
    if (parent === null || typeof parent !== 'object') continue;
    const key = rest.at(-1)!;
    if (r.absent === 'yaml12') delete (parent as Record<string | number, unknown>)[key];
    else (parent as Record<string | number, unknown>)[key] = r.yaml12;
  }
  const one = within.length === 1 && within[0]!.path.length === segments.length && within[0]!.absent === undefined ? within[0]! : undefined;
  if (!one) return { value };
  const written = d.sourceOf?.(segments);
  const show = JSON.stringify;
  return {
    value,
    why: {
      why: ` (kustomize reads YAML 1.2, where ${written === undefined ? 'the value' : `the unquoted ${written}`} here is ${show(one.yaml12)}, not ${show(one.kubectl)} as kubectl reads this file; kubectl apply -k sends what kustomize built: write it so both agree, quoting text and writing booleans as true or false)`,
    },
  };
}

/**
 * kustomize's refusal of a kustomization's field (`invalid Kustomization: json: cannot unmarshal
 * number into Go struct field Label.labels.pairs of type string`, of the kustomization `m` builds
 * or, after `couldn't make target for path '<folder>'`, of one it pulls in) where text is needed.
 * kustomize reads the file as kubectl does (YAML 1.1: an unquoted 0777 is the number 511, on a
 * boolean) and Go names the field, not the value: that is the first value there (in Go's order, a
 * mapping's keys sorted) holding what Go got. Its kustomization among `met`, its line and path, and
 * the words that say how to fix it; undefined when the error is another or the value is not found.
 */
function refusedKustomizationValue(error: string, m: Met, met: readonly Met[]): { in: Met; line: number; path: string; why: string } | undefined {
  const refused =
    /(?:couldn't make target for path '([^']+)': )?invalid Kustomization: json: cannot unmarshal (\w+) into Go struct field \w+\.([\w.]+) of type string\b/.exec(
      error,
    );
  if (!refused) return undefined;
  const [, folder, got, field] = refused;
  const at = folder === undefined ? m : met.find((o) => o.dir === resolve(folder));
  if (!at) return undefined;
  const holds = (v: unknown) =>
    got === 'number'
      ? typeof v === 'number' || typeof v === 'bigint'
      : got === 'bool'
        ? typeof v === 'boolean'
        : got === 'array'
          ? Array.isArray(v)
          : got === 'object' && isPlainObject(v);
  // The fields Go's names lead to, through the lists on the way, then the value or its items or values.
  const find = (v: unknown, rest: readonly string[], path: (string | number)[]): (string | number)[] | undefined => {
    if (Array.isArray(v) && !(rest.length === 0 && holds(v))) {
      for (const [i, item] of v.entries()) {
        const found = find(item, rest, [...path, i]);
        if (found) return found;
      }
      return undefined;
    }
    if (rest.length > 0) return isPlainObject(v) && rest[0]! in v ? find(v[rest[0]!], rest.slice(1), [...path, rest[0]!]) : undefined;
    if (holds(v)) return path;
    if (!isPlainObject(v)) return undefined;
    const key = Object.keys(v)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .find((k) => holds(v[k]));
    return key === undefined ? undefined : [...path, key];
  };
  const path = find(at.doc.manifest, field!.split('.'), []);
  if (!path) return undefined;
  const shownPath = path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
  const written = at.doc.sourceOf?.(path);
  const scalar = got === 'number' || got === 'bool';
  const why =
    scalar && written !== undefined
      ? ` (${shownPath}: the unquoted ${written} is ${got === 'number' ? 'a number' : 'a boolean'} to kustomize and kubectl, where text is needed; quote it: "${written}")`
      : ` (${shownPath}: ${got === 'number' ? 'a number' : got === 'bool' ? 'a boolean' : `an ${got}`}, where text is needed)`;
  return { in: at, line: at.doc.lineOf(path), path: shownPath, why };
}

/**
 * The values of a file kustomize builds from (a resource, a patch) that it builds as other text than
 * kubectl reads there: an unquoted date or time (`built: 2024-01-02`) is a timestamp to YAML 1.2, and
 * kustomize writes it back in RFC 3339 (`"2024-01-02T00:00:00Z"`), where kubectl reads the text
 * as written; `kubectl apply -k` sends what kustomize built (an env var, a label, a ConfigMap's data
 * changed silently, or a label value the server refuses for its colons). An object's own
 * metadata.annotations are kept as written: kustomize rewrites them from their text as it takes
 * its own annotations out (kustomize v5.8.1). A value of another type to kubectl (an unquoted yes,
 * which kustomize keeps as the text "yes") is judged in the build, placed at its line (see `placement`).
 */
function timestampRewrites(d: SourceDoc, inline = false): Problem[] {
  return (d.yaml12 ?? []).flatMap((r) => {
    if (typeof r.kubectl !== 'string' || typeof r.yaml12 !== 'string' || r.kubectl === r.yaml12) return [];
    if (r.path.length === 3 && r.path[0] === 'metadata' && r.path[1] === 'annotations') return [];
    const written = d.sourceOf?.(r.path) ?? r.kubectl;
    const path = r.path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
    const m = d.manifest;
    const name = typeof m.metadata?.name === 'string' ? m.metadata.name : undefined;
    const namespace = typeof m.metadata?.namespace === 'string' ? m.metadata.namespace : undefined;
    return [
      {
        file: d.file,
        line: d.lineOf(r.path),
        resource: d.id,
        apiVersion: m.apiVersion,
        kind: m.kind,
        ...(namespace !== undefined ? { namespace } : {}),
        ...(name !== undefined ? { name } : {}),
        path,
        message: `kustomize builds the unquoted ${written} here as ${JSON.stringify(r.yaml12)} (it reads YAML 1.2, where it is a timestamp, and writes it back in RFC 3339), not as the text ${JSON.stringify(r.kubectl)} ${inline ? 'written in this patch' : 'kubectl reads in this file'}; kubectl apply -k sends what kustomize built: quote it: "${r.kubectl}"`,
        rule: 'yaml-version',
        severity: 'error' as const,
      },
    ];
  });
}

/**
 * The strategic-merge patches a kustomization writes inline (`patches: - patch: |`, and the literal texts of
 * `patchesStrategicMerge`), each with the line before its first: a block scalar's text starts on the
 * line after its key, so the patch's line n is the kustomization's line `line + n`.
 */
function inlinePatches(m: Met): { m: Met; text: string; line: number }[] {
  const k = m.doc.manifest as Record<string, unknown>;
  const out: { m: Met; text: string; line: number }[] = [];
  const take = (text: unknown, path: (string | number)[]) => {
    if (typeof text === 'string' && text.includes('\n') && /^\|/.test(m.doc.sourceOf?.(path) ?? '')) out.push({ m, text, line: m.doc.lineOf(path) });
  };
  if (Array.isArray(k.patches)) for (const [i, p] of k.patches.entries()) if (isPlainObject(p)) take(p.patch, ['patches', i, 'patch']);
  if (Array.isArray(k.patchesStrategicMerge)) for (const [i, p] of k.patchesStrategicMerge.entries()) take(p, ['patchesStrategicMerge', i]);
  return out;
}

/** The kustomization file of a folder, absolute, if it has one. */
const kustomizationBeside = (dir: string) => KUSTOMIZATION_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));

/**
 * The `images:` entry of the build that set a container's image (given as built and as its source
 * writes it), at its line: the entry whose `name` is the image's name, as kustomize's image
 * transformer matches it (the name, then a tag or digest or nothing). The kustomization named is
 * looked at first, then those it pulls in, whose entries it applies over.
 */
function imagesEntry(kustomizations: readonly SourceDoc[], images: readonly unknown[]): Placed | undefined {
  const named = (image: unknown, name: string) =>
    typeof image === 'string' && (image === name || image.startsWith(`${name}:`) || image.startsWith(`${name}@`));
  for (const k of kustomizations) {
    const entries = list(k.manifest.images);
    for (const [i, entry] of entries.entries()) {
      const name = isPlainObject(entry) ? entry.name : undefined;
      if (typeof name === 'string' && name !== '' && images.some((image) => named(image, name)))
        return { file: k.file, line: k.lineOf(['images', i]) };
    }
  }
  return undefined;
}

/** The object of a file that a built object was made from: of its kind, by its name, which a prefix or suffix may have changed. */
function sourceDoc(built: SourceDoc, docs: readonly SourceDoc[]): SourceDoc | undefined {
  const name = (d: SourceDoc) => (typeof d.manifest.metadata.name === 'string' ? d.manifest.metadata.name : '');
  const kind = docs.filter((d) => d.manifest.kind === built.manifest.kind);
  const exact = kind.find((d) => name(d) === name(built));
  if (exact) return exact;
  const within = kind.filter((d) => name(d) !== '' && name(built).includes(name(d))).sort((a, b) => name(b).length - name(a).length);
  return within[0] ?? (kind.length === 1 ? kind[0] : undefined);
}

/** The value at a path of segments, or undefined. */
function valueAt(value: unknown, segments: readonly (string | number)[]): unknown {
  let at = value;
  for (const s of segments) {
    if (typeof s === 'number' ? !Array.isArray(at) : !isPlainObject(at)) return undefined;
    at = (at as Record<string | number, unknown>)[s];
  }
  return at;
}

/**
 * A problem's field path (`metadata.annotations.example.com/x`, `spec.containers[0].image`) as
 * segments of the object, whose keys may hold dots: the longest key that fits, at each step.
 */
function segmentsOf(value: unknown, path: string): (string | number)[] {
  const out: (string | number)[] = [];
  let rest = path;
  let at = value;
  while (rest !== '') {
    const index = /^\[(\d+)\]\.?/.exec(rest);
    if (index) {
      out.push(Number(index[1]));
      at = Array.isArray(at) ? at[Number(index[1])] : undefined;
      rest = rest.slice(index[0].length);
      continue;
    }
    const fits = (k: string) => rest.startsWith(k) && (rest.length === k.length || rest[k.length] === '.' || rest[k.length] === '[');
    const key =
      (isPlainObject(at)
        ? Object.keys(at)
            .filter(fits)
            .sort((a, b) => b.length - a.length)[0]
        : undefined) ?? /^[^.[]+/.exec(rest)?.[0];
    if (key === undefined) break;
    out.push(key);
    at = isPlainObject(at) ? at[key] : undefined;
    rest = rest.slice(key.length).replace(/^\./, '');
  }
  return out;
}

/**
 * The problems of a run with those of objects built from a walked kustomization placed in the tree
 * (`ParsedInputs.placements`), sorted again by file and line.
 */
export function placedInSources<T extends Problem>(problems: readonly T[], parsed: ParsedInputs): T[] {
  const placements = parsed.placements;
  if (!placements || placements.size === 0) return [...problems];
  const generated = parsed.generated ?? new Set<string>();
  // A generated Secret's values are its generator's, which no-secret-values judges at the kustomization already.
  const kept = problems.filter((p) => !(p.rule === 'no-secret-values' && p.resource !== undefined && generated.has(p.resource)));
  const builtBy = parsed.builtBy ?? new Map<string, string>();
  // Where a walk built several kustomizations, each finding of a built object names the builds that have it.
  const several = new Set(builtBy.values()).size > 1;
  const placed = kept.map((problem): Placing<T> => {
    const place = problem.resource === undefined ? undefined : placements.get(problem.resource);
    if (!place) return { problem };
    const { written, why, ...at } = place(problem.path);
    const overlay = several ? builtBy.get(problem.resource!) : undefined;
    return {
      problem: { ...problem, ...at, ...(why !== undefined ? { message: `${problem.message}${why}` } : {}) },
      ...(written ? { written } : {}),
      ...(overlay !== undefined ? { overlay } : {}),
    };
  });
  return oncePerSource(placed).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0));
}

/** A problem placed in the tree, with the object as the file writes it there and the build it comes from. */
interface Placing<T extends Problem> {
  readonly problem: T;
  readonly written?: Placed['written'];
  /** The folder of the kustomization whose build has it, where the walk built several. */
  readonly overlay?: string;
}

/** Where a finding's words name its object's namespace as a build gave it, in `generalized`. */
const BUILT_NAMESPACE = '\u0000namespace\u0000';

/**
 * A finding's message with its object's namespace, quoted as messages quote it (`Namespace "dev"`),
 * put aside where the build gave the object another than the file writes (an overlay's): the same
 * finding of a base in several builds then has one message.
 */
function generalized(p: Problem, written: Placed['written'] | undefined): string {
  if (!written) return p.message;
  return p.namespace && p.namespace !== written.namespace ? p.message.replaceAll(JSON.stringify(p.namespace), BUILT_NAMESPACE) : p.message;
}

/**
 * One finding per line of the tree: the builds of the overlays that share a base each have the
 * base's findings, at the same line, about the same object as the base writes it (its name there may
 * differ by a prefix, its namespace by the overlay's, and so may the words that name the namespace). Such a
 * finding is reported once, naming the overlays whose builds have it, under the name and namespace
 * the builds give it where they agree, else as the file writes it.
 */
function oncePerSource<T extends Problem>(placed: readonly Placing<T>[]): T[] {
  const groups = new Map<string, Placing<T>[]>();
  const out: (T | Placing<T>[])[] = [];
  for (const x of placed) {
    if (x.overlay === undefined) {
      out.push(x.problem);
      continue;
    }
    const p = x.problem;
    // The object as the file writes it, where the line is in one; else as built (two objects the kustomization changed apart).
    const object = x.written ? ['written', x.written.name, x.written.namespace] : ['built', p.name, p.namespace];
    const key = JSON.stringify([p.file, p.line, p.rule, p.severity, p.path, generalized(p, x.written), p.excepted, p.apiVersion, p.kind, ...object]);
    const group = groups.get(key);
    if (group) group.push(x);
    else {
      const made = [x];
      groups.set(key, made);
      out.push(made);
    }
  }
  return out.map((x) => (Array.isArray(x) ? foundIn(x) : x));
}

/** One problem for a group of the same finding in several builds. */
function foundIn<T extends Problem>(group: readonly Placing<T>[]): T {
  const first = group[0]!;
  const agreed = (field: 'name' | 'namespace') =>
    new Set(group.map((x) => x.problem[field])).size === 1 ? first.problem[field] : first.written?.[field];
  const name = agreed('name');
  const namespace = agreed('namespace');
  const resources = [...new Set(group.flatMap((x) => (x.problem.resource === undefined ? [] : [x.problem.resource])))];
  // Words that name the namespace each build gave the object name each, in the order of the overlays: `Namespace "dev"/"prod"`.
  const byOverlay = [...group].sort((a, b) => (a.overlay! < b.overlay! ? -1 : a.overlay! > b.overlay! ? 1 : 0));
  const namespaces = [...new Set(byOverlay.map((x) => JSON.stringify(x.problem.namespace)))].join('/');
  const message =
    new Set(group.map((x) => x.problem.message)).size === 1
      ? first.problem.message
      : generalized(first.problem, first.written).replaceAll(BUILT_NAMESPACE, namespaces);
  const merged: T = {
    ...first.problem,
    message,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    overlays: [...new Set(group.map((x) => x.overlay!))].sort(),
    ...(resources.length > 1 ? { resources } : {}),
  };
  // Where the builds disagree and the file writes none.
  if (namespace === undefined) delete (merged as { namespace?: string }).namespace;
  if (name === undefined) delete (merged as { name?: string }).name;
  return merged;
}

/**
 * The project's builder beside the decoder that reads the walk: the root's tools, else those of the
 * strata that runs (a folder outside any workspace), unless $STRATA_KUSTOMIZE or $STRATA_BUILDER
 * names one.
 */
function builderOf(root: string): { builder?: string } {
  if (process.env.STRATA_KUSTOMIZE || process.env.STRATA_BUILDER) return {};
  const decoder = decoderPath(root);
  const builder = decoder && join(dirname(decoder), 'strata-kustomize-builder');
  return builder && existsSync(builder) ? { builder } : {};
}

/**
 * A folder walk that meets kustomizations judges what kustomize builds, as `kubectl apply -k` would
 * create it: each kustomization of the walk that no other kustomization of the walk pulls in (a
 * root; a Component is judged only through the kustomizations that use it) is built with the
 * project's kustomize, and its objects are judged by every check, while the files it reads are not
 * judged again as objects of their own. A kustomization that kustomize refuses is a problem at its
 * file, in kustomize's words, and hides nothing: the files it names are read as any file of the
 * walk. A kustomization is no object: it counts as none. A kustomization file named on its own is
 * in `walked` too: it is built as a walk of its folder builds it, with the files it reads read for
 * their lines only.
 */
export async function buildWalkedKustomizations(parsed: ParsedInputs, root: string, walked: ReadonlySet<string>): Promise<void> {
  const abs = (key: string) => (isAbsolute(key) ? key : resolve(root, key));
  const byPath = new Map([...walked].map((key) => [abs(key), key]));
  const met = new Map<string, Met>();
  for (const d of parsed.docs) {
    if (!walked.has(d.file) || !isKustomizationFile(basename(d.file)) || met.has(d.file)) continue;
    const { apiVersion, kind } = d.manifest;
    if (!apiVersion.startsWith('kustomize.config.k8s.io/') && kind !== 'Kustomization' && kind !== 'Component') continue;
    const dir = dirname(abs(d.file));
    const reads = new Map<string, KustomizeInput | 'resource'>();
    const pulls: string[] = [];
    for (const entry of treeEntries(d.manifest)) {
      const target = resolve(dir, entry);
      const file = byPath.get(target);
      if (file !== undefined) reads.set(file, 'resource');
      else for (const name of KUSTOMIZATION_FILES) if (byPath.has(join(target, name))) pulls.push(byPath.get(join(target, name))!);
    }
    for (const [path, input] of kustomizeInputs(d.manifest)) {
      const file = byPath.get(resolve(dir, path));
      if (file !== undefined && !reads.has(file)) reads.set(file, input);
    }
    met.set(d.file, { file: d.file, doc: d, dir, component: kind === 'Component', reads, pulls });
  }
  if (met.size === 0) return;
  for (const m of met.values()) {
    const f = parsed.files.get(m.file)!;
    f.resources = 0; // kustomize's input, never an object a cluster takes
  }
  const shown = (key: string) => parsed.files.get(key)?.shown ?? key;
  const keyOf = (file: string) => (relative(root, file).startsWith('..') ? file : relative(root, file));
  const folderOf = (m: Met) => relative(root, m.dir) || '.';
  const failed = (m: Met, message: string, line = m.doc.line, path?: string) => {
    const f = parsed.files.get(m.file)!;
    const problem: Problem = {
      file: m.file,
      line,
      ...(path !== undefined ? { path } : {}),
      message,
      rule: 'kustomize-build',
      severity: 'error',
      resource: m.doc.id,
    };
    f.problems = [...f.problems, problem];
    f.resources = 1;
    parsed.problems.push(problem);
  };
  // A folder with two kustomization files is refused by kustomize ("Found multiple kustomization
  // files"), and so by kubectl apply -k and Argo CD: one problem for the folder, at the first of them
  // that kustomize looks for; none of them is built.
  const refused = new Set<string>();
  for (const m of met.values()) {
    if (refused.has(m.dir)) continue;
    const files = kustomizationFilesIn(m.dir);
    if (files.length < 2) continue;
    refused.add(m.dir);
    const at = files.flatMap((f) => [...met.values()].filter((o) => abs(o.file) === f))[0] ?? m;
    const names = files.map((f) => basename(f));
    failed(
      at,
      `kustomize cannot build ${dirname(shown(at.file))}: it holds ${names.slice(0, -1).join(', ')} and ${names.at(-1)}, and kustomize (so kubectl apply -k and Argo CD) refuses a folder with more than one kustomization file (Found multiple kustomization files); keep one of them and remove the others`,
    );
  }
  // Roots: kustomizations no other one pulls in; then any left unreached (a cycle, which kustomize refuses).
  const pulled = new Set([...met.values()].flatMap((m) => m.pulls.filter((p) => p !== m.file)));
  const roots = [...met.values()].filter((m) => !m.component && !refused.has(m.dir) && !pulled.has(m.file));
  const reached = new Set<string>();
  const reach = (m: Met, into: Set<string>) => {
    if (into.has(m.file)) return;
    into.add(m.file);
    // A kustomization it pulls in that is no Kustomization here (not valid YAML, say) has its own problem, and kustomize says the rest.
    for (const p of m.pulls) {
      const pulled = met.get(p);
      if (pulled) reach(pulled, into);
    }
  };
  for (const r of roots) reach(r, reached);
  for (const m of met.values())
    if (!m.component && !refused.has(m.dir) && !reached.has(m.file)) {
      roots.push(m);
      reach(m, reached);
    }

  // What kustomize would fetch is never fetched: the kustomization is refused at the entry, before kustomize runs.
  const buildable = roots.filter((m) => {
    const [first, ...more] = remoteInputs(m.dir);
    if (first === undefined) return true;
    const here = first.file === abs(m.file);
    const where = here ? first.field : `${first.field} in ${keyOf(first.file)}:${first.line}`;
    const others = more.length === 0 ? '' : `, and ${more.length} more remote input${more.length === 1 ? '' : 's'}`;
    failed(
      m,
      first.misspelled
        ? `cannot tell what kustomize would fetch over the network to build ${dirname(shown(m.file))}: ${where}: ${first.misspelled}`
        : `kustomize would fetch ${first.entry} (${where}${others}) over the network to build ${dirname(shown(m.file))}: strata builds offline and judges only what is in the tree; vendor it into the tree, or validate its build (kustomize build <folder> | strata validate -)`,
      here ? first.line : undefined,
    );
    return false;
  });
  const { buildOverlays } = await import('@strata/kustomize');
  const results = await buildOverlays(root, buildable.map(folderOf), { ...builderOf(root), origins: true });

  // What each root that built reads of the walk, through the kustomizations it pulls in: judged in its build, not on its own.
  const consumed = new Map<string, KustomizeInput | 'resource'>();
  const built: { m: Met; yaml: string; origins?: readonly (BuildOrigin | null)[] }[] = [];
  for (const [i, m] of buildable.entries()) {
    const r = results[i]!;
    if (r.toolFailed) throw new ToolError(`${dirname(shown(m.file))}: ${r.error ?? 'kustomize failed'}`);
    if (!r.ok) {
      // A value of a kustomization that kustomize cannot take (an unquoted 0777 as a label) is placed at its line.
      const value = r.error === undefined ? undefined : refusedKustomizationValue(r.error, m, [...met.values()]);
      const message = `kustomize cannot build ${dirname(shown(m.file))}: ${r.error ?? 'failed'}`;
      if (value) failed(value.in, `${message}${value.why}`, value.line, value.path);
      else failed(m, message);
      continue;
    }
    built.push({ m, yaml: r.yaml, ...(r.origins ? { origins: r.origins } : {}) });
    const closure = new Set<string>();
    reach(m, closure);
    for (const k of closure) {
      for (const [file, how] of met.get(k)!.reads) if (consumed.get(file) !== 'resource') consumed.set(file, how);
    }
  }
  // Components that no root uses: never built; the files they name other than as resources are no objects.
  const used = new Set<string>();
  for (const r of roots) reach(r, used);
  const unused = [...met.values()].filter((m) => !used.has(m.file) && !refused.has(m.dir));
  const asInputs = new Map<string, KustomizeInput>();
  for (const m of unused) for (const [file, how] of m.reads) if (how !== 'resource' && !consumed.has(file)) asInputs.set(file, how);
  for (const k of met.keys()) {
    consumed.delete(k);
    asInputs.delete(k);
  }

  // Of what the reader says of a file kustomize reads as YAML, only what matters to kustomize too is
  // kept: broken YAML, a key written twice (of which it keeps one value); nothing of a file it reads as data.
  const kept = (p: Problem): Problem | undefined => {
    const how = consumed.get(p.file) ?? asInputs.get(p.file);
    if (how === undefined) return p;
    const yaml = how === 'resource' || how.yaml;
    if (!yaml || (p.rule !== 'yaml-syntax' && !(p.rule === 'duplicate-key' && TWICE.test(p.message)))) return undefined;
    const { resource: _resource, ...rest } = p;
    return p.rule === 'duplicate-key'
      ? { ...rest, message: `${p.message.replace(/; kubectl silently keeps .*$/, '')}; kustomize silently keeps only one of them: remove the other` }
      : rest;
  };
  // The objects of the files read, as read, before they leave the walk: the sources of what is built.
  const sources = new Map([...parsed.files].map(([key, f]) => [abs(key), { key, docs: f.docs }]));
  const gone = new Set([...consumed.keys(), ...asInputs.keys()]);
  // And the values kustomize builds as other text than they read to kubectl in a file it builds from.
  const rewrites: Problem[] = [];
  for (const key of gone) {
    const f = parsed.files.get(key)!;
    const how = consumed.get(key);
    const own = how === 'resource' || how?.yaml ? f.docs.flatMap((d) => timestampRewrites(d)) : [];
    rewrites.push(...own);
    f.docs = [];
    f.problems = [...f.problems.flatMap((p) => kept(p) ?? []), ...own];
    f.resources = 0;
    delete f.documents;
  }
  // And the same in a patch written inline in a kustomization that is built, which kustomize reads as
  // it reads a patch file: found at the kustomization's lines.
  const inline = [...met.values()].filter((m) => used.has(m.file)).flatMap(inlinePatches);
  const inlineRead = await decodeTexts(
    root,
    inline.map(({ m, text }) => ({ file: m.file, input: m.file, bytes: Buffer.from(text, 'utf8'), first: 1 })),
  );
  for (const [i, read] of inlineRead.entries()) {
    const { m, line } = inline[i]!;
    const found = read.docs
      .filter((d) => typeof d.manifest.kind === 'string')
      .flatMap((d) => timestampRewrites(d, true))
      .map(({ resource: _resource, ...p }) => ({ ...p, file: m.file, line: line + (p.line ?? 1) }));
    const f = parsed.files.get(m.file)!;
    f.problems = [...f.problems, ...found];
    rewrites.push(...found);
  }
  const docs = parsed.docs.filter((d) => !gone.has(d.file));
  parsed.docs.splice(0, parsed.docs.length, ...docs);
  const problems = [...parsed.problems.flatMap((p) => kept(p) ?? []), ...rewrites];
  parsed.problems.splice(0, parsed.problems.length, ...problems);

  // The built objects, judged as the kustomization's: its file holds them. Each build is one set
  // for the policy (what one `kubectl apply -k` creates together), apart from the rest of the walk.
  const decoded = await decodeTexts(
    root,
    built.map(({ m, yaml }) => ({ file: m.file, input: m.file, bytes: Buffer.from(yaml, 'utf8'), first: 1 })),
  );
  // Files built from that the walk did not read (a base outside the folder named), read for their lines.
  const wanted = new Set<string>();
  for (const { m, origins } of built)
    for (const o of origins ?? []) {
      const path = o?.repo ? undefined : (o?.path ?? o?.configuredIn);
      if (path !== undefined && !sources.has(resolve(m.dir, path))) wanted.add(resolve(m.dir, path));
      // And the kustomization beside it, for the lines of its images: entries.
      const beside = path === undefined ? undefined : kustomizationBeside(dirname(resolve(m.dir, path)));
      if (beside !== undefined && !sources.has(beside)) wanted.add(beside);
    }
  const extra = [...wanted].flatMap((file) => {
    try {
      return [{ file, bytes: readFileSync(file) }];
    } catch {
      return [];
    }
  });
  const read = await decodeTexts(
    root,
    extra.map((e) => ({ file: keyOf(e.file), input: keyOf(e.file), bytes: e.bytes, first: 0 })),
  );
  for (const [i, e] of extra.entries()) sources.set(e.file, { key: keyOf(e.file), docs: read[i]!.docs });

  parsed.placements ??= new Map();
  for (const [i, { m, origins }] of built.entries()) {
    // kubectl apply -k creates what the build leaves without a namespace (no `namespace:` set one) in the default one.
    (parsed.appliedAsWritten ??= new Set()).add(m.file);
    const r = decoded[i]!;
    const at = m.doc.line;
    const f = parsed.files.get(m.file)!;
    const docsBuilt = r.docs.map(
      (d): SourceDoc => ({ ...d, line: at, lineOf: () => at, ...(f.shown !== undefined && f.shown !== m.file ? { shown: f.shown } : {}) }),
    );
    const problemsBuilt = r.problems.map((p) => ({ ...p, line: at }));
    f.docs = [...f.docs, ...docsBuilt];
    f.problems = [...f.problems, ...problemsBuilt];
    f.resources = r.resources;
    parsed.docs.push(...docsBuilt);
    parsed.problems.push(...problemsBuilt);
    // One origin per object kustomize wrote; the decoder reads each of them as one object.
    if (!origins || origins.length !== docsBuilt.length) continue;
    // The strategic-merge patches of the files the build reads, as read: what a patch sets is found there.
    const closure = new Set<string>();
    reach(m, closure);
    const patches = [...closure].flatMap((k) =>
      [...met.get(k)!.reads].flatMap(([file, how]) => (how !== 'resource' && how.what === 'a patch' ? (sources.get(abs(file))?.docs ?? []) : [])),
    );
    // Its own kustomization first: an overlay's images: entry applies over a base's.
    const kustomizations = [
      ...[...closure].map((k) => met.get(k)!.doc),
      ...[...new Set((origins ?? []).flatMap((o) => (o?.path === undefined || o.repo ? [] : [kustomizationBeside(dirname(resolve(m.dir, o.path)))])))]
        .filter((k) => k !== undefined && ![...closure].some((c) => abs(c) === k))
        .flatMap((k) => sources.get(k!)?.docs.filter((d) => isKustomizationFile(basename(d.file))) ?? []),
    ];
    for (const [n, d] of docsBuilt.entries()) {
      parsed.placements.set(d.id, placement(d, origins[n] ?? null, m, sources, patches, kustomizations));
      (parsed.builtBy ??= new Map()).set(d.id, dirname(shown(m.file)));
      if (origins[n]?.configuredIn !== undefined && origins[n]?.path === undefined) (parsed.generated ??= new Set()).add(d.id);
    }
  }

  const notes: string[] = [];
  if (built.length > 0) {
    const files = consumed.size;
    const one = built.length === 1;
    const read =
      files === 0
        ? ''
        : `; the ${files} file${files === 1 ? '' : 's'} of the folder ${one ? 'it reads' : 'they read'} ${files === 1 ? 'is' : 'are'} judged in ${one ? 'that build' : 'those builds'}, not on ${files === 1 ? 'its' : 'their'} own`;
    notes.push(
      `${built.length} kustomization${one ? '' : 's'} built with kustomize and ${one ? 'its' : 'their'} objects judged as built (${dirname(shown(built[0]!.m.file))}${one ? '' : `, and ${built.length - 1} more`})${read}`,
    );
  }
  if (unused.length > 0)
    notes.push(
      `${unused.length} kustomize Component${unused.length === 1 ? '' : 's'} that no kustomization of the folder uses, judged only through the kustomizations that use ${unused.length === 1 ? 'it' : 'them'} (${shown(unused[0]!.file)}${unused.length > 1 ? `, and ${unused.length - 1} more` : ''})`,
    );
  parsed.notes?.push(...notes);
}
