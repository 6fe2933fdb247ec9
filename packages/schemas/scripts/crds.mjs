// Turns the CustomResourceDefinition manifests Strata ships into strict JSON schemas in
// kubeconform's CRD layout (the conversion itself lives in src/crd.mjs, shared with `strata crd add`).
// Usage: node crds.mjs <crd manifests dir> <kubernetes-validate _definitions.json> <output dir>
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { crdSchemas, objectMetaDefinitions, readCrds } from "../src/crd.mjs";
import { compareStrings, writeJson } from "./lib.mjs";

const [crdDir, definitionsFile, outDir] = process.argv.slice(2);
if (!crdDir || !definitionsFile || !outDir) {
  throw new Error("usage: node crds.mjs <crd dir> <_definitions.json> <output dir>");
}

const objectMetaDefs = objectMetaDefinitions(JSON.parse(readFileSync(definitionsFile, "utf8")).$defs);

let count = 0;
for (const file of readdirSync(crdDir).filter((f) => f.endsWith(".yaml")).sort(compareStrings)) {
  for (const { crd } of readCrds(readFileSync(join(crdDir, file), "utf8"), file)) {
    for (const { file: out, schema } of crdSchemas(crd, objectMetaDefs, file)) {
      writeJson(join(outDir, out), schema);
      count++;
    }
  }
}
console.log(`wrote ${count} custom resource schemas to ${outDir}`);
