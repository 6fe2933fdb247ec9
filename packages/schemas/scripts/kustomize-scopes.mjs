// Writes the kinds (apiVersion and kind) that kustomize's namespace transformer knows for
// cluster-scoped and leaves without a namespace: kyaml's precomputedIsNamespaceScoped, taken from the
// Kubernetes 1.21 OpenAPI document kyaml embeds. Every other kind, built-in ones added since 1.21 and
// every custom kind included, gets the kustomization's `namespace:`.
// Usage: node kustomize-scopes.mjs <kyaml module dir> <output file>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compareStrings, writeJson } from "./lib.mjs";

const [kyamlDir, outFile] = process.argv.slice(2);
if (!kyamlDir || !outFile) throw new Error("usage: node kustomize-scopes.mjs <sigs.k8s.io/kustomize/kyaml module dir> <output file>");

const source = readFileSync(join(kyamlDir, "openapi", "openapi.go"), "utf8");
const start = source.indexOf("var precomputedIsNamespaceScoped = map[yaml.TypeMeta]bool{");
if (start < 0) throw new Error(`${kyamlDir}: no precomputedIsNamespaceScoped in openapi/openapi.go`);
const body = source.slice(start, source.indexOf("\n}\n", start));
const cluster = [];
for (const m of body.matchAll(/\{APIVersion: "([^"]+)", Kind: "([^"]+)"\}:\s*(true|false)/g)) if (m[3] === "false") cluster.push(`${m[1]} ${m[2]}`);
if (cluster.length === 0) throw new Error(`${kyamlDir}: no cluster-scoped kind in precomputedIsNamespaceScoped`);
writeJson(outFile, {
  clusterScoped: cluster.sort(compareStrings),
  source: `sigs.k8s.io/kustomize/kyaml ${kyamlDir.match(/kyaml@(v[^/]+)/)?.[1] ?? "?"} openapi.precomputedIsNamespaceScoped`,
});
