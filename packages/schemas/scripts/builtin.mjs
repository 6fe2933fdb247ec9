// Turns the kubernetes-validate strict schemas of one Kubernetes version into standalone files in
// kubeconform's layout: one file per kind, `<kind>[-<group>]-<version>.json`, every definition the
// kind needs inlined under `$defs`, so no schema ever points outside its own file.
// Usage: node builtin.mjs <kubernetes-validate version dir> <output dir>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { JSON_SCHEMA_DRAFT, closure, compareStrings, localiseRefs, writeJson } from "./lib.mjs";

const [srcDir, outDir] = process.argv.slice(2);
if (!srcDir || !outDir) throw new Error("usage: node builtin.mjs <source dir> <output dir>");

const defs = JSON.parse(readFileSync(join(srcDir, "_definitions.json"), "utf8")).$defs;

/** kubeconform's `{{.ResourceKind}}{{.KindSuffix}}`: the group is cut at its first dot. */
function fileName({ group, version, kind }) {
  const groupPart = group === "" ? "" : `-${group.split(".")[0].toLowerCase()}`;
  return `${kind.toLowerCase()}${groupPart}-${version.toLowerCase()}.json`;
}

/** @type {Map<string, string>} */
const written = new Map();
for (const name of Object.keys(defs).sort(compareStrings)) {
  const gvks = defs[name]["x-kubernetes-group-version-kind"];
  // Definitions with several GVKs (meta/v1 DeleteOptions, WatchEvent) are request envelopes
  // shared by every group, not objects anyone writes into a manifest.
  if (!Array.isArray(gvks) || gvks.length !== 1) continue;
  const file = fileName(gvks[0]);
  const previous = written.get(file);
  if (previous) throw new Error(`${name} and ${previous} would both be written to ${file}`);
  written.set(file, name);

  const used = new Set();
  const root = /** @type {Record<string, unknown>} */ (localiseRefs(defs[name], used));
  const schema = { ...root, $schema: JSON_SCHEMA_DRAFT };
  if (used.size > 0) schema.$defs = closure(defs, used);
  writeJson(join(outDir, file), schema);
}
console.log(`wrote ${written.size} built-in schemas to ${outDir}`);
