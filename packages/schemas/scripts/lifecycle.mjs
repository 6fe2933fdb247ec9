// Computes when each built-in API (apiVersion and kind) is served, deprecated, superseded and
// removed, from the strict schemas of every Kubernetes version the kubernetes-validate wheel
// carries and from the deprecation notes in the APIs' own descriptions: no hand-kept list.
// Usage: node lifecycle.mjs <kubernetes-json-schema dir of the unpacked wheel> <output file>
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compareStrings, writeJson } from "./lib.mjs";

const [srcRoot, outFile] = process.argv.slice(2);
if (!srcRoot || !outFile) throw new Error("usage: node lifecycle.mjs <kubernetes-json-schema dir> <output file>");

const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const minors = readdirSync(srcRoot)
  .map((name) => /^v1\.(\d+)\.0-local-strict$/.exec(name)?.[1])
  .filter((m) => m !== undefined)
  .map(Number)
  .sort((a, b) => a - b);

const apiVersionOf = (gvk) => (gvk.group === "" ? gvk.version : `${gvk.group}/${gvk.version}`);
const keyOf = (gvk) => `${apiVersionOf(gvk)} ${gvk.kind}`;

/**
 * The objects a manifest can hold in one release, by `apiVersion kind`: definitions with exactly one
 * GVK whose metadata is an ObjectMeta (lists, Status and request envelopes are not written by anyone).
 */
function servedIn(minor) {
  const defs = JSON.parse(readFileSync(join(srcRoot, `v1.${minor}.0-local-strict`, "_definitions.json"), "utf8")).$defs;
  const out = new Map();
  for (const def of Object.values(defs)) {
    const gvks = def["x-kubernetes-group-version-kind"];
    if (!Array.isArray(gvks) || gvks.length !== 1) continue;
    const ref = def.properties?.metadata?.$ref ?? def.properties?.metadata?.allOf?.[0]?.$ref;
    if (typeof ref !== "string" || !ref.endsWith(`/${OBJECT_META}`)) continue;
    out.set(keyOf(gvks[0]), { gvk: gvks[0], description: def.description ?? "" });
  }
  return out;
}

const releases = new Map(minors.map((m) => [m, servedIn(m)]));

/** v1 > v1beta2 > v1beta1 > v1alpha1, and v2 > v1. */
function maturity(version) {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (!m) return [0, 0, 0];
  return [m[2] === undefined ? 2 : m[2] === "beta" ? 1 : 0, Number(m[1]), Number(m[3] ?? 0)];
}
function moreMature(a, b) {
  const [x, y] = [maturity(a), maturity(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i];
  return false;
}
const isPrerelease = (version) => /(alpha|beta)\d+$/.test(version);

/** The most mature version of the same group and kind that `minor` serves, other than `gvk` itself. */
function successor(gvk, minor) {
  let best;
  for (const { gvk: other } of releases.get(minor).values()) {
    if (other.group !== gvk.group || other.kind !== gvk.kind || other.version === gvk.version) continue;
    if (!best || moreMature(other.version, best.version)) best = other;
  }
  return best;
}

/** "discoveryv1.EndpointSlice", as the descriptions name a Go package, to the API a manifest names. */
function resolveGoName(name, minor) {
  const m = /^([a-z]+?)(v\d+(?:(?:alpha|beta)\d+)?)\.([A-Z]\w*)$/.exec(name);
  if (!m) return undefined;
  const [, pkg, version, kind] = m;
  for (const { gvk } of releases.get(minor).values()) {
    const group = gvk.group === "" ? "core" : gvk.group.split(".")[0];
    if (group === pkg && gvk.version === version && gvk.kind === kind) return keyOf(gvk);
  }
  return undefined;
}

/** The deprecation a description states, such as "Deprecated: This API is deprecated in v1.33+. Use discoveryv1.EndpointSlice." */
function statedDeprecation(description, minor) {
  const stated = /Deprecated: This API is deprecated in v(\d+\.\d+)\+\.?(?:\s*Use ([\w.]+?)\.?(?:\s|$))?/.exec(description);
  if (stated) {
    const replacement = stated[2] ? (resolveGoName(stated[2], minor) ?? stated[2]) : undefined;
    return { since: stated[1], ...(replacement ? { replacement } : {}) };
  }
  const old = /Deprecated in (\d+\.\d+), please use (.+?) instead/.exec(description);
  if (old) return { since: old[1], replacement: old[2] };
  return undefined;
}

const first = minors[0];
const last = minors[minors.length - 1];
const apis = {};
const keys = new Set([...releases.values()].flatMap((r) => [...r.keys()]));
for (const key of [...keys].sort(compareStrings)) {
  const serving = minors.filter((m) => releases.get(m).has(key));
  const from = serving[0];
  const to = serving[serving.length - 1];
  const { gvk, description } = releases.get(to).get(key);
  const entry = { served: [`1.${from}`, `1.${to}`] };
  if (to < last) {
    entry.removed = `1.${to + 1}`;
    const next = successor(gvk, to + 1);
    if (next) entry.replacement = keyOf(next);
  }
  const deprecation = statedDeprecation(description, to);
  if (deprecation) {
    entry.deprecated = deprecation.since;
    if (deprecation.replacement && !entry.replacement) entry.replacement = deprecation.replacement;
  }
  if (isPrerelease(gvk.version)) {
    // A prerelease version is on its way out from the first release that also serves a more mature one.
    const since = serving.find((m) => {
      const other = successor(gvk, m);
      return other && moreMature(other.version, gvk.version);
    });
    if (since !== undefined) {
      entry.superseded = `1.${since}`;
      entry.replacement ??= keyOf(successor(gvk, to));
    }
  }
  apis[key] = entry;
}
writeJson(outFile, { source: `kubernetes-validate strict schemas of Kubernetes 1.${first} to 1.${last}`, first: `1.${first}`, last: `1.${last}`, apis });
console.log(`wrote the lifecycle of ${keys.size} APIs to ${outFile}`);
