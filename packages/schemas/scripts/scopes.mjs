// Writes the scope of every built-in kind (`group/Kind` -> Namespaced or Cluster) as kube-apiserver's
// discovery gives it, from the discovery documents that the Kubernetes release itself commits
// (k8s.io/kubernetes api/discovery: what a kube-apiserver with every API enabled serves), so no scope
// is kept by hand. A kind's scope never changes between API versions or releases.
// Usage: node scopes.mjs <api/discovery dir of k8s.io/kubernetes> <output file>
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compareStrings, writeJson } from "./lib.mjs";

const [srcDir, outFile] = process.argv.slice(2);
if (!srcDir || !outFile) throw new Error("usage: node scopes.mjs <api/discovery dir> <output file>");

/** @type {Map<string, string>} */
const scopes = new Map();
// One APIResourceList per group version: api__v1.json, apis__<group>__<version>.json.
for (const name of readdirSync(srcDir).sort(compareStrings)) {
  if (name !== "api__v1.json" && !/^apis__[^_]+(?:__[^_]+)$/.test(name.replace(/\.json$/, ""))) continue;
  const list = JSON.parse(readFileSync(join(srcDir, name), "utf8"));
  const gv = String(list.groupVersion);
  const group = gv.includes("/") ? gv.slice(0, gv.indexOf("/")) : "";
  for (const r of list.resources) {
    if (r.name.includes("/")) continue; // a subresource: no object of its own
    const key = `${group}/${r.kind}`;
    const scope = r.namespaced ? "Namespaced" : "Cluster";
    if (scopes.has(key) && scopes.get(key) !== scope) throw new Error(`${key}: scoped both ways in ${srcDir}`);
    scopes.set(key, scope);
  }
}
const source = srcDir.match(/k8s\.io\/kubernetes@(v[^/]+)/)?.[1];
writeJson(outFile, {
  scopes: Object.fromEntries([...scopes].sort(([a], [b]) => compareStrings(a, b))),
  source: `k8s.io/kubernetes ${source ?? "?"} api/discovery`,
});
