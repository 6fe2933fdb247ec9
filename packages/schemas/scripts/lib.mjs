// Helpers shared by the schema generators. Output must be byte-identical across runs and machines,
// so every JSON file is written with recursively sorted keys, 2-space indent and a final newline.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const JSON_SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema";
export const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/** @param {unknown} value */
export function sortKeysDeep(value) {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === "object") {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const key of Object.keys(value).sort(compareStrings)) {
      out[key] = sortKeysDeep(/** @type {Record<string, unknown>} */ (value)[key]);
    }
    return out;
  }
  return value;
}

/** Code-point order, independent of the locale of the machine that runs the generator. */
export function compareStrings(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** @param {string} file @param {unknown} value */
export function writeJson(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(sortKeysDeep(value), null, 2)}\n`);
}

const LOCAL_REF = /^(?:\/api\/_definitions\.json)?#\/\$defs\/(.+)$/;

/**
 * Copies a schema from the kubernetes-validate definitions, pointing every `$ref` at the local
 * `#/$defs/X` and recording each definition it needs in `used`. `$id` is dropped: kubeconform would
 * resolve relative refs against it and try the network.
 * @param {unknown} node @param {Set<string>} used
 */
export function localiseRefs(node, used) {
  if (Array.isArray(node)) return node.map((item) => localiseRefs(item, used));
  if (node === null || typeof node !== "object") return node;
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$id") continue;
    if (key === "$ref" && typeof value === "string") {
      const match = LOCAL_REF.exec(value);
      if (!match) throw new Error(`unexpected $ref ${value}`);
      used.add(match[1]);
      out[key] = `#/$defs/${match[1]}`;
      continue;
    }
    out[key] = localiseRefs(value, used);
  }
  return out;
}

/**
 * The definitions that `roots` need, directly or through other definitions, with local refs.
 * @param {Record<string, unknown>} defs @param {Iterable<string>} roots
 */
export function closure(defs, roots) {
  /** @type {Record<string, unknown>} */
  const out = {};
  const queue = [...roots];
  while (queue.length > 0) {
    const name = /** @type {string} */ (queue.pop());
    if (name in out) continue;
    if (!(name in defs)) throw new Error(`missing definition ${name}`);
    const used = new Set();
    out[name] = localiseRefs(defs[name], used);
    queue.push(...used);
  }
  return out;
}
