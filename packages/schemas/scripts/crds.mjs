// Turns CustomResourceDefinition manifests into strict JSON schemas in kubeconform's CRD layout,
// `<group>/<kind>_<version>.json`, one per served version. An API server prunes or rejects fields a
// structural schema does not declare; kubeconform only rejects them when the schema says
// `additionalProperties: false`, so that is added wherever the CRD does not keep unknown fields.
// Usage: node crds.mjs <crd manifests dir> <kubernetes-validate _definitions.json> <output dir>
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { JSON_SCHEMA_DRAFT, OBJECT_META, closure, compareStrings, writeJson } from "./lib.mjs";

const [crdDir, definitionsFile, outDir] = process.argv.slice(2);
if (!crdDir || !definitionsFile || !outDir) {
  throw new Error("usage: node crds.mjs <crd dir> <_definitions.json> <output dir>");
}

const defs = JSON.parse(readFileSync(definitionsFile, "utf8")).$defs;
const objectMetaDefs = closure(defs, [OBJECT_META]);

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"]);
const JUNCTORS = new Set(["allOf", "anyOf", "oneOf", "not"]);

function isIntOrStringPair(list) {
  if (!Array.isArray(list) || list.length !== 2) return false;
  const types = list.map((s) => (isObject(s) && Object.keys(s).length === 1 ? s.type : undefined)).sort();
  return types[0] === "integer" && types[1] === "string";
}

/** A strict copy of one structural schema node. */
function strict(schema) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (SCHEMA_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isObject(v) ? strict(v) : v]));
    } else if (key === "items") {
      out[key] = Array.isArray(value) ? value.map(strict) : isObject(value) ? strict(value) : value;
    } else if (key === "additionalProperties" && isObject(value)) {
      out[key] = strict(value);
    } else {
      // Junctor branches of a structural schema only add value checks (`required`, `pattern`) on
      // fields declared beside them; closing them would reject every other field.
      out[key] = JUNCTORS.has(key) ? structuredClone(value) : value;
    }
  }
  if (out["x-kubernetes-int-or-string"] === true) {
    if (isIntOrStringPair(out.anyOf)) delete out.anyOf;
    out.oneOf = [{ type: "integer" }, { type: "string" }];
  }
  if (out.nullable === true && typeof out.type === "string") out.type = [out.type, "null"];
  if (out["x-kubernetes-embedded-resource"] === true && isObject(out.properties)) {
    // The API server accepts apiVersion, kind and metadata on an embedded object even where the
    // schema leaves them out.
    out.properties = {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      ...out.properties,
    };
  }
  if (isObject(out.properties) && out["x-kubernetes-preserve-unknown-fields"] !== true && !("additionalProperties" in out)) {
    out.additionalProperties = false;
  }
  return out;
}

let count = 0;
for (const file of readdirSync(crdDir).filter((f) => f.endsWith(".yaml")).sort(compareStrings)) {
  for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), "utf8"))) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
    const crd = doc.toJS();
    if (!crd || crd.kind !== "CustomResourceDefinition") continue;
    const { group, names, versions } = crd.spec;
    for (const version of versions) {
      if (!version.served) continue;
      const source = version.schema?.openAPIV3Schema;
      if (!isObject(source)) throw new Error(`${file}: ${version.name} has no openAPIV3Schema`);
      const schema = strict(source);
      const props = /** @type {Record<string, Record<string, unknown>>} */ (schema.properties ?? {});
      schema.properties = {
        ...props,
        apiVersion: { ...props.apiVersion, type: "string", enum: [`${group}/${version.name}`] },
        kind: { ...props.kind, type: "string", enum: [names.kind] },
        metadata: { $ref: `#/$defs/${OBJECT_META}` },
      };
      schema.additionalProperties = false;
      schema.$schema = JSON_SCHEMA_DRAFT;
      schema.$defs = objectMetaDefs;
      writeJson(join(outDir, group, `${names.kind.toLowerCase()}_${version.name}.json`), schema);
      count++;
    }
  }
}
console.log(`wrote ${count} custom resource schemas to ${outDir}`);
