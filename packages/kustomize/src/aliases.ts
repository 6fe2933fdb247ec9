import { readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, Scalar, visit } from 'yaml';
import { isKustomizationFile, kustomizationFilesIn } from './files.ts';

// Alias bombs: a few hundred bytes of YAML whose aliases expand into billions of nodes.
//
// kustomize parses every file it reads and copies each alias's target in place, with no limit, so
// one such file makes `kustomize build` allocate until the process dies. The builder refuses such a
// file before kustomize reads it (builder/aliases.go); this is the same refusal for the kustomize
// engine, made before kustomize starts, by the same rule: a document is refused when go-yaml's
// decoder, which kubectl reads manifests with, would refuse it for excessive aliasing. That decoder's
// count is replayed over the parsed document, node by node as it decodes them (merge keys included):
// how many were decoded and how many of them through an alias, stopping as soon as the share through
// aliases is too large, so a bomb costs a few thousand steps. Change both together.

/** The share of decoded nodes that go-yaml lets come from aliases, by how many it has decoded. */
function allowedAliasRatio(decoded: number): number {
  if (decoded <= 400_000) return 0.99;
  if (decoded >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decoded - 400_000) / 3_600_000);
}

/** Thrown inside the count: the decoder refuses the document for excessive aliasing. */
class ExcessiveAliasing extends Error {}
/** Thrown inside the count: the decoder stops for another reason, which kustomize reports itself. */
class Undecodable extends Error {}

const isMergeKey = (n: unknown): boolean =>
  isScalar(n) && n.value === '<<' && (n.tag === 'tag:yaml.org,2002:merge' || (n.tag === undefined && n.type === Scalar.PLAIN));

/** A decoded key, for telling which keys a merge already has: its value and its type. */
const keyOf = (n: unknown): string => (isScalar(n) ? `${typeof n.value}:${String(n.value)}` : String(n));

/**
 * Whether go-yaml's decoder (yaml.v3, with the ratio and limits of the yaml.v2 one kubectl uses)
 * refuses the document whose content is `root` for excessive aliasing, decoding it into a generic
 * value. `targets` holds each alias's anchored node.
 */
function excessiveAliasing(root: unknown, targets: Map<unknown, unknown>): boolean {
  let decoded = 0;
  let aliased = 0;
  let depth = 0;
  const expanding = new Set<unknown>();
  // The keys a merge into the current mapping already has (go-yaml's mergedFields).
  let merged: Set<string> | undefined;

  const decode = (n: unknown): void => {
    decoded++;
    if (depth > 0) aliased++;
    if (aliased > 100 && decoded > 1000 && aliased / decoded > allowedAliasRatio(decoded)) throw new ExcessiveAliasing();
    if (isAlias(n)) {
      const target = targets.get(n);
      // An alias inside its own anchor, or one naming no anchor: refused for another reason.
      if (target === undefined || expanding.has(n)) throw new Undecodable();
      expanding.add(n);
      depth++;
      decode(target);
      depth--;
      expanding.delete(n);
    } else if (isSeq(n)) {
      for (const item of n.items) decode(item);
    } else if (isMap(n)) mapping(n.items);
    // A pair in a flow sequence (`[a: b]`) is a mapping of its own.
    else if (isPair(n)) mapping([n]);
  };

  const mapping = (pairs: readonly { key: unknown; value: unknown }[]): void => {
    const mergedHere = merged;
    merged = undefined;
    let merge: unknown;
    for (const { key, value } of pairs) {
      if (isMergeKey(key)) {
        merge = value;
        continue;
      }
      decode(key);
      const k = resolved(key);
      if (mergedHere) {
        if (mergedHere.has(keyOf(k))) continue;
        mergedHere.add(keyOf(k));
      }
      // A mapping or a sequence as a key: the decoder refuses it.
      if (isMap(k) || isSeq(k)) throw new Undecodable();
      decode(value);
    }
    merged = mergedHere;
    if (merge !== undefined) mergeInto(pairs, merge);
  };

  const mergeInto = (pairs: readonly { key: unknown }[], merge: unknown): void => {
    const saved = merged;
    if (merged === undefined) {
      merged = new Set();
      for (const { key } of pairs) {
        decode(key);
        merged.add(keyOf(resolved(key)));
      }
    }
    // A mapping, an alias of one, or a sequence of those; anything else the decoder refuses.
    for (const source of isSeq(merge) ? merge.items : [merge]) {
      if (!isMap(resolved(source))) throw new Undecodable();
      decode(source);
    }
    merged = saved;
  };

  const resolved = (n: unknown): unknown => (isAlias(n) ? targets.get(n) : n);

  try {
    // The document itself counts as one node decoded, as in go-yaml.
    decoded++;
    decode(root);
    return false;
  } catch (e) {
    if (e instanceof ExcessiveAliasing) return true;
    if (e instanceof Undecodable) return false;
    throw e;
  }
}

/** Each alias of a document with the node it names: the last anchor of that name before it. */
function aliasTargets(doc: Document.Parsed): Map<unknown, unknown> {
  const anchors = new Map<string, unknown>();
  const targets = new Map<unknown, unknown>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

/**
 * Whether go-yaml's decoder refuses `doc` for excessive aliasing (an alias bomb): what is not is
 * bounded in size once its aliases are expanded, and can be read in full.
 */
export function isAliasBomb(doc: Document.Parsed): boolean {
  const targets = aliasTargets(doc);
  return targets.size > 0 && excessiveAliasing(doc.contents, targets);
}

/**
 * The line of the first document of `text` refused as an alias bomb, or undefined. With `inline`, the
 * strings of the file that are YAML themselves (a kustomization's inline patches) are checked too,
 * at their own line. A document the decoder cannot read ends the check: kustomize refuses it in its
 * own words, before it copies any alias.
 */
function aliasBomb(text: string, inline: boolean): number | undefined {
  // An alias needs an anchor: a file without both characters (nearly every file) costs one scan.
  if (!text.includes('&') || !text.includes('*')) return undefined;
  const lines = new LineCounter();
  const lineOf = (offset: number) => lines.linePos(offset).line;
  for (const doc of parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false })) {
    if (doc.errors.length > 0) return undefined;
    const targets = aliasTargets(doc);
    if (targets.size > 0 && excessiveAliasing(doc.contents, targets)) return lineOf(doc.contents?.range[0] ?? doc.range[0]);
    if (inline) {
      const line = inlineBomb(doc, lineOf);
      if (line !== undefined) return line;
    }
  }
  return undefined;
}

/** The line of the first string of `doc` that is an alias bomb of its own. */
function inlineBomb(doc: Document.Parsed, lineOf: (offset: number) => number): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('&') || !node.value.includes('*')) return undefined;
      const line = aliasBomb(node.value, false);
      if (line === undefined || !node.range) return undefined;
      // The string's own line, plus the line within it when it is a block below its key.
      const block = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
      found = lineOf(node.range[0]) + (block ? line : 0);
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * Everything a kustomization names that could be a file or folder beside it. kustomize reads files
 * from many fields (resources, components, patches, generators' files and envs, replacements, crds,
 * openapi, transformers...): any string of it that names one is taken, which can only check more
 * than kustomize reads, never less. `key=path` (a generator's file) names its path.
 */
function namedPaths(file: string): string[] {
  const out: string[] = [];
  try {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'), { uniqueKeys: false })) {
      visit(doc, {
        Scalar(_key, node) {
          const s = node.value;
          if (typeof s !== 'string' || s === '' || s.length > 4096 || s.includes('\n') || s.includes('://')) return;
          out.push(s);
          if (s.includes('=')) out.push(s.slice(s.indexOf('=') + 1));
        },
      });
    }
  } catch {
    // Unreadable: kustomize says why.
  }
  return out;
}

/**
 * The refusal the builder gives for the first alias bomb among the files kustomize reads to build
 * `overlay` (a folder relative to `root`), or undefined when there is none. `checked` keeps the
 * verdict of each file and folder, so that a base many overlays share (and every app of an env's
 * whole tree) is read once per run.
 */
export function aliasBombRefusal(root: string, overlay: string, checked = new Map<string, string | undefined>()): string | undefined {
  // As the builder names a file: relative to the folder kustomize runs in, when it lies inside it.
  const name = (file: string) => {
    const rel = relative(root, file);
    return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
  };
  const checkFile = (file: string): string | undefined => {
    if (checked.has(file)) return checked.get(file);
    let refusal: string | undefined;
    try {
      const data = readFileSync(file);
      if (data.includes(0x26) && data.includes(0x2a)) {
        const line = aliasBomb(data.toString('utf8'), isKustomizationFile(basename(file)));
        if (line !== undefined)
          refusal = `${name(file)}:${line}: not valid YAML: its aliases expand into an enormous document (an alias bomb); kubectl refuses it (excessive aliasing): write the repeated values out instead of aliasing them`;
      }
    } catch {
      // Unreadable, or nested too deeply to parse here: kustomize says what is wrong with it.
    }
    checked.set(file, refusal);
    return refusal;
  };
  // A folder named again below itself is not followed again: kustomize refuses the cycle.
  const visited = new Set<string>();
  const checkFolder = (dir: string): string | undefined => {
    const key = `${dir}/`;
    if (checked.has(key)) return checked.get(key);
    if (visited.has(dir)) return undefined;
    visited.add(dir);
    const refusal = checkTree(dir);
    checked.set(key, refusal);
    return refusal;
  };
  const checkTree = (dir: string): string | undefined => {
    const kustomization = kustomizationFilesIn(dir)[0];
    if (!kustomization) return undefined;
    const refusal = checkFile(kustomization);
    if (refusal) return refusal;
    for (const path of namedPaths(kustomization)) {
      const target = resolve(dir, path);
      let found: string | undefined;
      try {
        const stat = statSync(target);
        if (stat.isDirectory()) found = checkFolder(target);
        else if (stat.isFile()) found = checkFile(target);
      } catch {
        // Not a path, or nothing there: kustomize says so if it is one it needs.
      }
      if (found) return found;
    }
    return undefined;
  };
  return checkFolder(resolve(root, overlay));
}
