import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { isPlainObject, type Manifest } from '@strata/core';
import { holdsExactNumber, kubectlInteger, mayHoldLongInteger, stringifyExact } from '@strata/project';

/** One object to verify, and where it was read from. */
export interface VerifyDocument {
  /** The file as problems name it: `dist/prod/web.yaml`, `<stdin>`... */
  readonly file: string;
  /** The line the object starts on. */
  readonly line?: number;
  /**
   * How the person named the file, when that differs from `file` (a path typed in a subfolder): the
   * name a message gives the file when it mentions it, as the caller names `file` in its report.
   */
  readonly shown?: string;
  /**
   * Which object of the run it is, as the reader that read it numbers objects (`<file>#<n>`, the
   * `resource` of its problems): carried into the server's findings about it, so that a report
   * counts each object once and files them under it.
   */
  readonly id?: string;
  readonly manifest: Manifest;
  /** The line of a field (`['spec', 'replicas']`), or of its nearest existing parent. */
  lineOf?(path: readonly (string | number)[]): number;
  /**
   * The object as kubectl sends it, when JSON.stringify of `manifest` would not: it holds an integer
   * past 2^53 that fits in int64, which `manifest` has rounded to a double. Sent instead of it.
   */
  readonly json?: string;
}

/**
 * Reads built output (what `strata pipeline` writes to dist/): values with a fast parser, lines only
 * when a problem asks for one, since nearly every object has none. Throws on YAML that kustomize
 * would never write, naming the file.
 */
export function readBuilt(text: string, file: string): VerifyDocument[] {
  const values: unknown[] = [];
  try {
    loadAll(text, (v) => values.push(v), { schema: CORE_SCHEMA });
  } catch (err) {
    throw new Error(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]}); build it again with \`npm run build\``);
  }
  const lines = fieldLines(text);
  const exact = mayHoldLongInteger(text) ? exactTexts(text, values) : [];
  return values
    .filter((v) => v !== null && v !== undefined)
    .map((v, i) => {
      if (!isPlainObject(v) || typeof v.apiVersion !== 'string' || typeof v.kind !== 'string') {
        throw new Error(`${file}: document ${i + 1} is not a Kubernetes object; build it again with \`npm run build\``);
      }
      const json = exact[i];
      return {
        file,
        ...(json !== undefined ? { json } : {}),
        manifest: { ...v, metadata: isPlainObject(v.metadata) ? v.metadata : {} } as Manifest,
        get line() {
          return lines.at(lines.docs()[i], []);
        },
        lineOf: (path: readonly (string | number)[]) => lines.at(lines.docs()[i], path),
      };
    });
}

/**
 * The exact JSON (`VerifyDocument.json`) of each object of `values` (js-yaml's reading of `text`,
 * nulls left out as `readBuilt` leaves them) that holds an integer a double cannot hold: `text` read
 * again with integers as kubectl keeps them. An object this second reading sees otherwise, in any
 * other way than those digits, gets none.
 */
function exactTexts(text: string, values: readonly unknown[]): (string | undefined)[] {
  let exact: unknown[];
  try {
    exact = parseAllDocuments(text, { intAsBigInt: true })
      .map((d) => d.toJS({ reviver: (_, v) => (typeof v === 'bigint' ? kubectlInteger(v.toString()) : v) }) as unknown)
      .filter((v) => v !== null && v !== undefined);
  } catch {
    return [];
  }
  const objects = values.filter((v) => v !== null && v !== undefined);
  if (exact.length !== objects.length) return [];
  return objects.map((v, i) => {
    const e = exact[i];
    if (!holdsExactNumber(e)) return undefined;
    const json = stringifyExact(e);
    return JSON.stringify(JSON.parse(json)) === JSON.stringify(v) ? json : undefined;
  });
}

/**
 * Objects already read from built output `text` (by the pipeline's validation, say: `line` is where
 * each starts), as `readBuilt` would hand them over: their fields' lines are found in `text` the
 * same way, and only when a problem asks for one.
 */
export function builtDocuments(
  text: string,
  file: string,
  objects: readonly { readonly line: number; readonly manifest: Manifest; readonly json?: string }[],
): VerifyDocument[] {
  const lines = fieldLines(text);
  let byLine: Map<number, Document.Parsed> | undefined;
  const docAt = (line: number) => (byLine ??= new Map(lines.docs().map((d) => [lines.at(d, []), d]))).get(line);
  return objects.map(({ line, manifest, json }) => ({
    file,
    line,
    manifest,
    ...(json !== undefined ? { json } : {}),
    lineOf: (path: readonly (string | number)[]) => {
      const doc = docAt(line);
      return doc ? lines.at(doc, path) : line;
    },
  }));
}

/** The documents of a YAML stream, parsed with positions on first use, and the line of a field in one. */
function fieldLines(text: string): { docs(): Document.Parsed[]; at(doc: Document.Parsed | undefined, path: readonly (string | number)[]): number } {
  const counter = new LineCounter();
  let docs: Document.Parsed[] | undefined;
  return {
    docs: () => (docs ??= parseAllDocuments(text, { lineCounter: counter }).filter((d) => d.contents !== null)),
    at(doc, path) {
      if (!doc) return 1;
      // The line of the key (`selector:`), not of its value, which for a block starts a line later.
      for (let k = path.length; k > 0; k--) {
        const parent = k === 1 ? doc.contents : doc.getIn(path.slice(0, k - 1), true);
        const at = path[k - 1];
        const node = isMap(parent)
          ? parent.items.find((pair) => isScalar(pair.key) && pair.key.value === at)?.key
          : isSeq(parent) && typeof at === 'number'
            ? parent.items[at]
            : undefined;
        const range = (node as { range?: [number, number, number] } | undefined)?.range;
        if (range) return counter.linePos(range[0]).line;
      }
      return counter.linePos(doc.contents?.range?.[0] ?? doc.range[0]).line;
    },
  };
}

/**
 * The server's dotted field path (`spec.template.spec.containers[name="app"].image`,
 * `metadata.labels.app.kubernetes.io/name`) as keys and indexes into the object, so that its line
 * can be found. Keys may hold dots, so each step takes the shortest run of segments that is a key of
 * the object there; the walk stops where the object has nothing to match.
 */
export function pathSegments(manifest: unknown, dotted: string): (string | number)[] {
  const tokens = dotted.match(/\[[^\]]*\]|[^.[\]]+/g) ?? [];
  const out: (string | number)[] = [];
  let node: unknown = manifest;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.startsWith('[')) {
      if (!Array.isArray(node)) break;
      const index = selectIndex(node, token.slice(1, -1));
      if (index < 0) break;
      out.push(index);
      node = node[index];
      continue;
    }
    if (!isPlainObject(node)) break;
    let key = token;
    let j = i;
    while (!(key in node) && j + 1 < tokens.length && !tokens[j + 1]!.startsWith('[')) key += `.${tokens[++j]}`;
    if (!(key in node)) break;
    out.push(key);
    node = node[key];
    i = j;
  }
  return out;
}

/** `0`, or `name="app"`, or `containerPort=80,protocol="TCP"` (server-side apply's list keys). */
function selectIndex(list: readonly unknown[], selector: string): number {
  if (/^\d+$/.test(selector)) return Number(selector) < list.length ? Number(selector) : -1;
  const wanted = selector.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare word: compared as text
    }
    return [pair.slice(0, eq), value] as const;
  });
  return list.findIndex((item) => isPlainObject(item) && wanted.every(([k, v]) => item[k] === v));
}
