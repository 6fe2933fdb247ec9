import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { type Document, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { isPlainObject } from '@strata/core';
import { ANY_CONFIG, BUILTIN_CONFIGS, KUSTOMIZATION, misspellings } from './fields.ts';
import { isAliasBomb } from './aliases.ts';
import { KUSTOMIZATION_FILES } from './files.ts';
import { isRepoSpec } from './repospec.ts';

export { isRepoSpec } from './repospec.ts';

/**
 * Something a kustomization names that kustomize would fetch over the network when it builds: a
 * remote base or resource (a git URL, `github.com/org/repo//path`, an http(s) URL), or a file it
 * loads by URL (a patch, a generator's file, a replacement, a CRD schema, ...).
 */
export interface RemoteInput {
  /** The file that names it, absolute: a kustomization, or a plugin configuration one reads. */
  readonly file: string;
  /** Its line in that file. */
  readonly line: number;
  /** Where in that file, as kustomize's field: `resources[0]`, `patches[1].path`, `ReplacementTransformer replacements[0].path`. */
  readonly field: string;
  /** The entry as written. */
  readonly entry: string;
  /** A resources, bases or components entry (cloned or fetched as a tree), not a file a field loads or a plugin entry. */
  readonly resource: boolean;
  /**
   * Set when the entry is no URL but a way of writing a field that kustomize reads otherwise than
   * it looks (a `<<` merge key, a field name in another case, a field written twice, a `!!binary`
   * value), so that what it fetches cannot be told from the file: what kustomize does and how to
   * write it instead, one sentence. `entry` is then the key or value as written.
   */
  readonly misspelled?: string;
  /**
   * Set when the tree holds a file or folder at the entry's path as written, relative to the
   * kustomization (`github.com/org/repo/cm.yaml` vendored under that name): the spelling that names
   * it and no repository, `./` before it. kustomize reads such a file from the tree, but clones such
   * a folder; either way the entry is refused as written, and this says how to mean the local one.
   */
  readonly local?: string;
}

/**
 * A base, resource, component or plugin entry that kustomize would fetch over the network rather
 * than read in the tree (a git URL, `github.com/org/repo//path`, an http(s) URL): kustomize's
 * `loader.New` clones what `git.NewRepoSpecFromURL` takes before it looks for a folder of that name
 * (so whatever the tree holds), its `Load` gets what has an http(s) scheme.
 */
export function isRemoteEntry(dir: string, entry: string): boolean {
  if (isRepoSpec(entry) || /^[a-z][a-z0-9+.-]*:\/\/|^git@|^[\w-]+@[\w.-]+:/i.test(entry) || isRemoteFile(entry)) return true;
  if (statSync(resolve(dir, entry), { throwIfNoEntry: false })) return false;
  // What is not in the tree and names a host first (kustomize's repo spec) is fetched.
  return /^[\w-]+(\.[\w-]+)+\//.test(entry) || entry.includes('?ref=') || entry.includes('//');
}

/**
 * A path that kustomize's `FileLoader.Load` gets over HTTP instead of reading a file
 * (`loader.IsRemoteFile`: a URL whose scheme, in any case, is http or https).
 */
const isRemoteFile = (path: string): boolean => /^https?:/i.test(path);

/** `key=path` of a generator's `files:` as kustomize's `generators.ParseFileSource` splits it; undefined where kustomize refuses it. */
function fileSourcePath(source: string): string | undefined {
  const separators = source.split('=').length - 1;
  if (separators === 0) return source;
  if (separators > 1 || source.startsWith('=') || source.endsWith('=')) return undefined;
  return source.slice(source.indexOf('=') + 1);
}

type Segment = string | number;

/** A YAML file read for its values and the lines they are at. */
interface Read {
  readonly file: string;
  readonly docs: readonly Document.Parsed[];
  readonly lines: LineCounter;
}

/** Why a file that is there cannot be read: the line and what is wrong, one sentence. */
interface Unread {
  readonly file: string;
  readonly line: number;
  readonly why: string;
}

/** The file read, undefined where there is none, or why it cannot be read. */
function readYaml(file: string): Read | Unread | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { file, line: 1, why: `it cannot be read (${(e as Error).message}); make it a readable file` };
  }
  const lines = new LineCounter();
  // Two equal keys are no error to kustomize's reader (the last is kept): they are read, and refused, as written.
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
  return Array.isArray(docs) ? { file, docs, lines } : { file, docs: [], lines };
}

const isUnread = (r: Read | Unread | undefined): r is Unread => r !== undefined && 'why' in r;

/**
 * A document's value, or why it cannot be read as kustomize reads it (YAML this reader refuses, an
 * alias bomb). Aliases are followed without limit once go-yaml's own count of them (the alias-bomb
 * refusal's) lets the document through: what it lets through is bounded, and a kustomization that
 * repeats a value through many aliases is read as kustomize reads it.
 */
const valueOf = (doc: Document.Parsed, lines: LineCounter): { value: unknown } | { line: number; why: string } => {
  const [error] = doc.errors;
  if (error)
    return {
      line: lines.linePos(error.pos[0]).line,
      why: `it is not read here as YAML (${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}), and kustomize may read it otherwise; write it as plain YAML`,
    };
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch {
    // Past 100 alias uses: read in full unless it is an alias bomb.
  }
  const line = lines.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
  if (isAliasBomb(doc))
    return {
      line,
      why: 'its aliases expand into an enormous document (an alias bomb), which kustomize expands without limit; write the repeated values out instead of aliasing them',
    };
  try {
    return { value: doc.toJS({ maxAliasCount: -1 }) as unknown };
  } catch (e) {
    return {
      line,
      why: `it is not read here as YAML (${(e as Error).message.split('\n')[0]}), and kustomize may read it otherwise; write it as plain YAML`,
    };
  }
};

const fieldName = (path: readonly Segment[]) =>
  path.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : out ? `${out}.${s}` : s), '');

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * The fields of a builtin plugin's configuration that kustomize loads as files, by kind, with their
 * paths in the configuration (the plugins' own `Config`: `h.Loader().Load`).
 */
function builtinPaths(config: Record<string, unknown>): [Segment[], string][] {
  const one = (key: string): [Segment[], string][] => (typeof config[key] === 'string' ? [[[key], config[key]]] : []);
  const each = (key: string, pick: (v: unknown) => string | undefined = (v) => (typeof v === 'string' ? v : undefined)): [Segment[], string][] =>
    list(config[key]).flatMap((v, i): [Segment[], string][] => {
      const path = pick(v);
      return path === undefined ? [] : [[[key, i], path]];
    });
  switch (config.kind) {
    case 'PatchTransformer':
    case 'PatchJson6902Transformer':
      return one('path');
    case 'PatchStrategicMergeTransformer':
      return each('paths');
    case 'ReplacementTransformer':
      return list(config.replacements).flatMap((r, i): [Segment[], string][] =>
        isPlainObject(r) && typeof r.path === 'string' ? [[['replacements', i, 'path'], r.path]] : [],
      );
    case 'ValueAddTransformer':
      return one('targetFilePath');
    case 'ConfigMapGenerator':
    case 'SecretGenerator':
      return [...each('files', (v) => (typeof v === 'string' ? fileSourcePath(v) : undefined)), ...each('envs')];
    case 'HelmChartInflationGenerator':
      return [...one('valuesFile'), ...each('additionalValuesFiles')];
    default:
      return [];
  }
}

/** The fields of a kustomization that kustomize reads with `Load`, a URL fetched: a patch, a generator's file, a schema. */
function loadedPaths(k: Record<string, unknown>): [Segment[], string][] {
  const out: [Segment[], string][] = [];
  const add = (path: Segment[], v: unknown) => {
    if (typeof v === 'string') out.push([path, v]);
  };
  for (const field of ['patches', 'patchesJson6902', 'replacements'])
    list(k[field]).forEach((p, i) => isPlainObject(p) && add([field, i, 'path'], p.path));
  // An entry with a line break is a patch written inline; kustomize loads any other that is not one.
  list(k.patchesStrategicMerge).forEach((p, i) => typeof p === 'string' && !p.includes('\n') && add(['patchesStrategicMerge', i], p));
  for (const field of ['configMapGenerator', 'secretGenerator'])
    list(k[field]).forEach((g, i) => {
      if (!isPlainObject(g)) return;
      list(g.files).forEach((f, j) => typeof f === 'string' && add([field, i, 'files', j], fileSourcePath(f)));
      list(g.envs).forEach((f, j) => add([field, i, 'envs', j], f));
      add([field, i, 'env'], g.env);
    });
  for (const field of ['configurations', 'crds']) list(k[field]).forEach((p, i) => add([field, i], p));
  if (isPlainObject(k.openapi)) add(['openapi', 'path'], k.openapi.path);
  list(k.helmCharts).forEach((h, i) => {
    if (!isPlainObject(h)) return;
    add(['helmCharts', i, 'valuesFile'], h.valuesFile);
    list(h.additionalValuesFiles).forEach((f, j) => add(['helmCharts', i, 'additionalValuesFiles', j], f));
  });
  list(k.helmChartInflationGenerator).forEach((h, i) => isPlainObject(h) && add(['helmChartInflationGenerator', i, 'values'], h.values));
  return out;
}

/**
 * What a build reads of the tree, as the walk of `remoteInputs` finds it (absolute paths): the
 * folders of every kustomization it reaches, and the local files those name (resources, patches,
 * generator files, plugin configurations). A file under a folder reached may be read without being
 * named here (a generator's file in a subfolder, say): a caller that must know every input takes
 * every file under `folders`.
 */
export interface Reach {
  readonly folders: Set<string>;
  readonly files: Set<string>;
}

/**
 * What a kustomization in `dir` would fetch over the network when kustomize builds it, through every
 * field kustomize v5.8.1 fetches by: its resources, bases and components (cloned or fetched, and
 * those of the local folders they name), the files its fields load (patches, patchesJson6902 and
 * patchesStrategicMerge, configMapGenerator and secretGenerator files, envs and env, replacements,
 * configurations, crds, openapi.path, Helm values files), its generators, transformers and
 * validators (as entries, and the files their builtin configurations load, written inline, in a
 * file or in a folder's kustomization). In the order kustomize's fields are listed; none when the
 * build reads only the tree.
 */
export function remoteInputs(dir: string, reach?: Reach): RemoteInput[] {
  const out: RemoteInput[] = [];
  const local = (folder: string, entry: string) => {
    if (reach && !isRemoteFile(entry)) reach.files.add(resolve(folder, entry));
  };
  const seen = new Set<string>();
  // The line of the field, or of its nearest parent the file writes (an inline configuration is one string).
  const lineOf = (read: Read, doc: Document, path: readonly Segment[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as { range?: [number, number, number] } | null | undefined;
      if (node?.range) return read.lines.linePos(node.range[0]).line;
    }
    return 1;
  };
  const misspelled = (
    read: Read,
    doc: Document,
    node: unknown,
    shape: Parameters<typeof misspellings>[2],
    at: readonly Segment[],
    prefix: string,
  ) => {
    for (const m of misspellings(doc, node, shape, at))
      out.push({
        file: read.file,
        line: m.offset === undefined ? lineOf(read, doc, m.path) : read.lines.linePos(m.offset).line,
        field: `${prefix}${fieldName(m.path.slice(at.length))}`,
        entry: m.written,
        resource: false,
        misspelled: m.why,
      });
  };
  /** The files a builtin plugin configuration loads that are remote, and the fields it writes as kustomize does not read them. */
  const configs = (read: Read, doc: Document, node: unknown, config: unknown, at: readonly Segment[], prefix: string, folder?: string) => {
    const kind = isPlainObject(config) && config.apiVersion === 'builtin' && typeof config.kind === 'string' ? config.kind : undefined;
    misspelled(read, doc, node, (kind && BUILTIN_CONFIGS[kind]) || ANY_CONFIG, at, kind ? `${prefix}${kind} ` : prefix);
    if (!isPlainObject(config) || kind === undefined) return;
    for (const [path, entry] of builtinPaths(config)) {
      if (folder !== undefined) local(folder, entry);
      if (isRemoteFile(entry))
        out.push({
          file: read.file,
          line: lineOf(read, doc, [...at, ...path]),
          field: `${prefix}${config.kind} ${fieldName(path)}`,
          entry,
          resource: false,
        });
    }
  };
  /** A file kustomize reads that is not read here: what it would fetch cannot be told, so it is refused at the file. */
  const unread = (file: string, line: number, why: string) =>
    out.push({ file, line, field: basename(file), entry: basename(file), resource: false, misspelled: why });
  /** A plugin configuration file: each of its documents. */
  const configFile = (file: string, folder: string) => {
    reach?.files.add(file);
    const read = readYaml(file);
    if (isUnread(read)) return unread(read.file, read.line, read.why);
    for (const doc of read?.docs ?? []) {
      const got = valueOf(doc, read!.lines);
      if (!('value' in got)) return unread(file, got.line, got.why);
      const value = got.value;
      for (const [i, config] of (Array.isArray(value) ? value : [value]).entries()) {
        const node = Array.isArray(value) && isSeq(doc.contents) ? doc.contents.items[i] : doc.contents;
        configs(read!, doc, node, config, Array.isArray(value) ? [i] : [], '', folder);
      }
    }
  };
  /** The kustomization in `folder`; with `plugins`, its resources are plugin configurations (a generators or transformers entry). */
  const visit = (folder: string, plugins: boolean) => {
    if (seen.has(folder)) return;
    seen.add(folder);
    reach?.folders.add(folder);
    // The first kustomization file the folder has, as kustomize takes it.
    let read: Read | Unread | undefined;
    for (const name of KUSTOMIZATION_FILES) {
      read = readYaml(resolve(folder, name));
      if (read) break;
    }
    if (!read) return;
    if (isUnread(read)) return unread(read.file, read.line, read.why);
    if (!read.docs[0]) return;
    const got = valueOf(read.docs[0], read.lines);
    if (!('value' in got)) return unread(read.file, got.line, got.why);
    const k = got.value;
    if (!isPlainObject(k)) return;
    const doc = read.docs[0]!;
    const found = (path: Segment[], entry: string, resource: boolean) => {
      const there = !/^[a-z][a-z0-9+.-]*:/i.test(entry) && statSync(resolve(folder, entry), { throwIfNoEntry: false });
      out.push({
        file: read.file,
        line: lineOf(read, doc, path),
        field: fieldName(path),
        entry,
        resource,
        ...(there ? { local: `./${entry}` } : {}),
      });
    };
    misspelled(read, doc, doc.contents, KUSTOMIZATION, [], '');
    /** A resources, bases or components entry: remote, or a local folder walked, or a file (a plugin configuration when `plugins`). */
    const tree = (field: string, asPlugins: boolean) =>
      list(k[field]).forEach((entry, i) => {
        if (typeof entry !== 'string') return;
        if (isRemoteEntry(folder, entry)) return found([field, i], entry, true);
        const target = resolve(folder, entry);
        const st = statSync(target, { throwIfNoEntry: false });
        if (st?.isDirectory()) visit(target, asPlugins);
        else if (st?.isFile() && asPlugins) configFile(target, folder);
        else if (st?.isFile()) reach?.files.add(target);
      });
    tree('resources', plugins);
    tree('bases', plugins);
    for (const [path, entry] of loadedPaths(k)) {
      local(folder, entry);
      if (isRemoteFile(entry)) found(path, entry, false);
    }
    for (const field of ['generators', 'transformers', 'validators'])
      list(k[field]).forEach((entry, i) => {
        if (typeof entry !== 'string') return;
        // kustomize takes an entry that reads as YAML objects as the configurations themselves.
        const inline = inlineConfigs(entry);
        if (inline) {
          // Each configuration is said at the entry's line: its fields are within the one string.
          for (const c of inline)
            configs({ ...read, lines: atLine(lineOf(read, doc, [field, i])) }, c.doc, c.doc.contents, c.value, [], `${field}[${i}]: `, folder);
          return;
        }
        if (isRemoteEntry(folder, entry)) return found([field, i], entry, false);
        const target = resolve(folder, entry);
        const st = statSync(target, { throwIfNoEntry: false });
        if (st?.isDirectory()) visit(target, true);
        else if (st?.isFile()) configFile(target, folder);
      });
    tree('components', plugins);
  };
  visit(resolve(dir), false);
  return out;
}

/** The objects a generators/transformers entry holds when it is written inline, with their documents, else undefined (a path). */
function inlineConfigs(entry: string): { doc: Document; value: Record<string, unknown> }[] | undefined {
  try {
    const read = parseAllDocuments(entry, { uniqueKeys: false });
    if (!Array.isArray(read)) return undefined;
    const values = read
      .map((doc) => {
        const got = valueOf(doc, new LineCounter());
        return { doc, value: 'value' in got ? got.value : undefined };
      })
      .filter((c) => c.value !== null && c.value !== undefined);
    return values.length > 0 && values.every((c) => isPlainObject(c.value))
      ? (values as { doc: Document; value: Record<string, unknown> }[])
      : undefined;
  } catch {
    return undefined;
  }
}

/** A line counter that puts every offset at `line`. */
function atLine(line: number): LineCounter {
  const lines = new LineCounter();
  lines.linePos = () => ({ line, col: 1 });
  return lines;
}
