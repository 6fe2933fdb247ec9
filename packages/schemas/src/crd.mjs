// CustomResourceDefinitions as strict JSON schemas in kubeconform's CRD layout,
// `<group>/<kind>_<version>.json`, one per served version: the code behind the shipped CRD schemas
// (scripts/crds.mjs) and `strata crd add`. An API server prunes or rejects fields a structural
// schema does not declare; kubeconform only rejects them when the schema says
// `additionalProperties: false`, so that is added wherever the CRD does not keep unknown fields.
// Plain JavaScript so that the generator script runs it uncompiled.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { unzipSync } from "fflate";
import { parseAllDocuments } from "yaml";
import { JSON_SCHEMA_DRAFT, OBJECT_META, closure, compareStrings, sortKeysDeep } from "../scripts/lib.mjs";
import { SHARED_DEF } from "./shared-defs.mjs";

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"]);
const JUNCTORS = new Set(["allOf", "anyOf", "oneOf", "not"]);

function isIntOrStringPair(list) {
  if (!Array.isArray(list) || list.length !== 2) return false;
  const types = list.map((s) => (isObject(s) && Object.keys(s).length === 1 ? s.type : undefined)).sort();
  return types[0] === "integer" && types[1] === "string";
}

/** Whether the server defaults a schema's field: a default of null is none. */
const hasDefault = (/** @type {unknown} */ s) => isObject(s) && s.default !== undefined && s.default !== null;

/**
 * A schema node that also takes null: what the API server makes of a null it defaults (a null of a
 * field that is not `nullable` but has a default), so that null matches no value check beside the
 * type. Junctors move into an `anyOf` beside null: their branches hold value checks that null would
 * fail (an `enum`, a `not`) or pass more than once (a `oneOf` of `required` lists).
 * @param {Record<string, unknown>} schema
 */
function orNull(schema) {
  const out = { ...schema };
  if (typeof out.type === "string") out.type = [out.type, "null"];
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (isIntOrStringPair(out.oneOf)) out.oneOf = [{ type: "integer" }, { type: ["string", "null"] }];
  else if ([...JUNCTORS].some((j) => j in out)) {
    const branch = Object.fromEntries([...JUNCTORS].filter((j) => j in out).map((j) => [j, out[j]]));
    for (const j of JUNCTORS) delete out[j];
    out.anyOf = [{ type: "null" }, branch];
  }
  return out;
}

/**
 * Where the API server takes null for a field that is not `nullable`, as server-side apply judges
 * it (the reference of `strata verify`, and how Argo CD syncs an app that ships CRDs): a property, a
 * map value or a list item with a default is given the default (k8s.io/apiextensions-apiserver's
 * structural defaulting, which also runs on an apply), so null passes; a required property with a
 * default is given it when absent too, so it is not required here. Any other null is refused, as an
 * apply refuses it (`spec.mode in body must be of type string: "null"`): a create drops those
 * nulls before it validates, an apply keeps them.
 * @param {Record<string, unknown>} out
 */
function serverNulls(out) {
  const defaulted = (/** @type {unknown} */ s) => isObject(s) && s.nullable !== true && hasDefault(s);
  if (isObject(out.properties) && Array.isArray(out.required)) {
    // A required property with a default is given it when absent, before the required check.
    const properties = out.properties;
    const required = out.required.filter((k) => !hasDefault(properties[k]));
    if (required.length === 0) delete out.required;
    else out.required = required;
  }
  if (isObject(out.properties)) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, defaulted(v) ? orNull(v) : v]));
  if (defaulted(out.additionalProperties)) out.additionalProperties = orNull(out.additionalProperties);
  if (defaulted(out.items)) out.items = orNull(out.items);
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
  serverNulls(out);
  return out;
}

/** The built-in strict ObjectMeta and the definitions it needs, from a kubernetes-validate `$defs`. */
export function objectMetaDefinitions(defs) {
  return closure(defs, [OBJECT_META]);
}

let committedObjectMeta;

/**
 * The strict ObjectMeta of the committed target version's set, read from one of its kinds (every
 * kind inlines it), so that run time needs no wheel.
 */
export function committedObjectMetaDefinitions() {
  if (committedObjectMeta) return committedObjectMeta;
  const file = join(dirname(dirname(fileURLToPath(import.meta.url))), "kubernetes", "v1.36.0-standalone-strict", "configmap-v1.json");
  committedObjectMeta = objectMetaDefinitions(JSON.parse(readFileSync(file, "utf8")).$defs);
  return committedObjectMeta;
}

/**
 * The CustomResourceDefinitions in a YAML text, each with its own document's text. Other objects
 * are skipped; a YAML error or a CRD without group, kind, plural or versions throws one sentence
 * naming `where`.
 * @param {string} text @param {string} where
 */
export function readCrds(text, where) {
  const crds = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0].message.split("\n")[0]}`);
    const crd = doc.toJS();
    if (!isObject(crd) || crd.kind !== "CustomResourceDefinition") continue;
    if (crd.apiVersion !== "apiextensions.k8s.io/v1") {
      throw new Error(`${where}: CustomResourceDefinition ${crd.metadata?.name ?? "(unnamed)"} is ${crd.apiVersion}; only apiextensions.k8s.io/v1 is served since Kubernetes 1.22`);
    }
    const spec = crd.spec;
    const name = crd.metadata?.name;
    if (!isObject(spec) || typeof spec.group !== "string" || !isObject(spec.names) || typeof spec.names.kind !== "string" || typeof spec.names.plural !== "string" || !Array.isArray(spec.versions)) {
      throw new Error(`${where}: CustomResourceDefinition ${name ?? "(unnamed)"} lacks spec.group, spec.names.kind, spec.names.plural or spec.versions`);
    }
    if (name !== `${spec.names.plural}.${spec.group}`) {
      throw new Error(
        `${where}: CustomResourceDefinition ${name ?? "(unnamed)"}: metadata.name: must be named ${spec.names.plural}.${spec.group} (<plural>.<group>), as the API server requires; rename it, or fix spec.names.plural or spec.group`,
      );
    }
    crds.push({ crd, text: String(doc) });
  }
  return crds;
}

/**
 * The strict schema of each served version of one CRD, as `{ file, schema }` with `file` relative
 * to the schema folder: `<group>/<kind>_<version>.json`. A served version without a schema throws
 * one sentence naming `where`. A subschema the CRD repeats is written once (see `shareRepeated`),
 * unless `share` is false.
 * @param {Record<string, any>} crd @param {Record<string, unknown>} objectMetaDefs @param {string} where
 * @param {{ share?: boolean }} [options]
 */
export function crdSchemas(crd, objectMetaDefs, where, options = {}) {
  const { group, names, versions } = crd.spec;
  const out = [];
  for (const version of versions) {
    if (!version.served) continue;
    const source = version.schema?.openAPIV3Schema;
    if (!isObject(source)) throw new Error(`${where}: ${crd.metadata.name} ${version.name} has no openAPIV3Schema`);
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
    schema.$defs = { ...objectMetaDefs, ...(options.share === false ? {} : shareRepeated(schema)) };
    out.push({ file: `${group}/${names.kind.toLowerCase()}_${version.name}.json`, schema });
  }
  return out;
}

/** Schemas this size (as JSON) or more are worth a definition of their own when they repeat. */
const SHARED_MIN_LENGTH = 512;

/**
 * Each subschema under a schema keyword, as `[holder, key]` pairs to read and replace it by: the
 * values of properties and the other schema maps, items, additionalProperties and the junctors.
 * @param {Record<string, unknown>} schema @param {(holder: Record<string, unknown> | unknown[], key: string | number) => void} visit
 */
function eachSubschema(schema, visit) {
  for (const [key, value] of Object.entries(schema)) {
    if (SCHEMA_MAPS.has(key) && isObject(value)) for (const name of Object.keys(value)) visit(value, name);
    else if ((key === "items" || key === "additionalProperties" || key === "not") && isObject(value)) visit(schema, key);
    else if ((key === "items" || JUNCTORS.has(key)) && Array.isArray(value)) value.forEach((_, i) => visit(value, i));
  }
}

/**
 * Moves every large subschema that the CRD's schema repeats into one definition, pointed at by
 * `$ref` (which validates exactly as the copy did) and returns the definitions. CRDs repeat whole
 * trees (Argo CD's ApplicationSet holds its Application template two dozen times): kubeconform
 * compiles each copy, 0.8 s of CPU for that one schema, and compiles a definition once. A copy found
 * inside another copy counts once. Named by a hash of the subschema, so a rerun gives the same file.
 * @param {Record<string, unknown>} schema
 * @returns {Record<string, unknown>}
 */
function shareRepeated(schema) {
  // Each object's JSON with sorted keys, made once from its parts' (a text per node, not per level).
  /** @type {WeakMap<object, string>} */
  const texts = new WeakMap();
  const canonical = (/** @type {unknown} */ value) => {
    if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
    const known = texts.get(value);
    if (known !== undefined) return known;
    const text = Array.isArray(value)
      ? `[${value.map(canonical).join(",")}]`
      : `{${Object.keys(value)
          .filter((k) => value[k] !== undefined)
          .sort(compareStrings)
          .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
          .join(",")}}`;
    texts.set(value, text);
    return text;
  };
  /** @type {Map<string, number>} */
  const seen = new Map();
  const count = (/** @type {unknown} */ node) => {
    if (!isObject(node)) return;
    const text = canonical(node);
    if (text.length >= SHARED_MIN_LENGTH) {
      seen.set(text, (seen.get(text) ?? 0) + 1);
      if (seen.get(text) > 1) return;
    }
    eachSubschema(node, (holder, key) => count(holder[key]));
  };
  /** @type {Record<string, unknown>} */
  const defs = {};
  const share = (/** @type {Record<string, unknown> | unknown[]} */ holder, /** @type {string | number} */ key) => {
    const node = holder[key];
    if (!isObject(node)) return;
    const text = canonical(node);
    if ((seen.get(text) ?? 0) > 1) {
      const name = `${SHARED_DEF}${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
      if (!(name in defs)) {
        defs[name] = node;
        eachSubschema(node, share);
      }
      holder[key] = { $ref: `#/$defs/${name}` };
      return;
    }
    eachSubschema(node, share);
  };
  const { $defs: _, ...own } = schema;
  count(own);
  eachSubschema(schema, (holder, key) => holder !== schema.$defs && share(holder, key));
  return defs;
}

/**
 * A schema with each definition `shareRepeated` made put back where it is pointed at: the schema as
 * it was before (what `crdSchemas` makes with `share: false`).
 * @param {Record<string, any>} schema
 * @returns {Record<string, any>}
 */
export function inlineShared(schema) {
  const defs = schema.$defs ?? {};
  const inline = (/** @type {unknown} */ node) => {
    if (Array.isArray(node)) return node.map(inline);
    if (!isObject(node)) return node;
    const ref = typeof node.$ref === "string" ? node.$ref.replace(/^#\/\$defs\//, "") : "";
    if (ref.startsWith(SHARED_DEF) && Object.keys(node).length === 1) return inline(defs[ref]);
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === "$defs" ? v : inline(v)]));
  };
  const out = inline(schema);
  out.$defs = Object.fromEntries(Object.entries(defs).filter(([name]) => !name.startsWith(SHARED_DEF)));
  return out;
}

/** A schema as the committed files hold it: sorted keys, 2-space indent, final newline. */
export function schemaText(schema) {
  return `${JSON.stringify(sortKeysDeep(schema), null, 2)}\n`;
}

/** `$GOPROXY`'s first proxy URL (`direct` and `off` are not proxies), else the public one. */
export function goProxy(env = process.env) {
  const first = (env.GOPROXY ?? "").split(/[,|]/).map((s) => s.trim()).find((s) => /^https?:\/\//.test(s) || s.startsWith("file://"));
  return (first ?? "https://proxy.golang.org").replace(/\/+$/, "");
}

/**
 * The environment `go mod download` runs in to fetch a module for `strata crd add`: the one proxy
 * named, and every module checked against the checksum database whatever the user's settings say.
 * GOENV=off leaves out the settings file (`go env -w`), and the variables that exempt modules from
 * the check or weaken it go (GONOSUMDB, GONOSUMCHECK, GOPRIVATE, GONOPROXY, GOINSECURE, GOFLAGS with
 * its -insecure); GOSUMDB=off is replaced by the public database. A GOSUMDB that names another
 * database (a mirror, or one with its own key) is kept.
 * @param {string} proxy @param {string | undefined} modCache @param {NodeJS.ProcessEnv} [env]
 */
export function verifiedGoEnv(proxy, modCache, env = process.env) {
  /** @type {NodeJS.ProcessEnv} */
  const out = { ...env };
  for (const key of ["GONOSUMDB", "GONOSUMCHECK", "GOPRIVATE", "GONOPROXY", "GOINSECURE", "GOFLAGS"]) delete out[key];
  const sumdb = (env.GOSUMDB ?? "").trim();
  return {
    ...out,
    GOENV: "off",
    GOPROXY: proxy,
    GOSUMDB: sumdb === "" || sumdb === "off" ? "sum.golang.org" : sumdb,
    // Writable extracted folders, so a module cache in a scratch folder can be removed.
    GOFLAGS: "-modcacherw",
    GO111MODULE: "on",
    GOWORK: "off",
    // Never download a Go toolchain to fetch a module.
    GOTOOLCHAIN: "local",
    ...(modCache ? { GOMODCACHE: modCache } : {}),
  };
}

/**
 * Runs `go mod download -json module@version` in an empty folder (no go.mod or go.work applies)
 * and resolves to its parsed report, with what it said on stderr.
 * @param {string} go @param {string[]} args @param {NodeJS.ProcessEnv} env
 * @returns {Promise<{ report: Record<string, string>, stderr: string, status: number | null }>}
 */
function goModDownload(go, args, env) {
  // Named as @strata/project's makeScratchDir names its folders (this file stays plain JavaScript),
  // so that a later run removes it when this one is killed before it could.
  const cwd = mkdtempSync(join(tmpdir(), `strata-go-${process.pid}-`));
  return new Promise((done, fail) => {
    const child = spawn(go, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (err) => {
      rmSync(cwd, { recursive: true, force: true });
      fail(err);
    });
    child.on("close", (status) => {
      rmSync(cwd, { recursive: true, force: true });
      let report = {};
      try {
        report = JSON.parse(stdout);
      } catch {
        // killed, or a fatal error that go prints to stderr only
      }
      done({ report, stderr, status });
    });
  });
}

/**
 * The zip of one Go module version, downloaded by the real `go mod download` through the proxy
 * (or taken from Go's module cache) and verified by it against the checksum database, as every
 * `go` command verifies a module: the proxy's `/sumdb/` when it serves one, else the database
 * itself. Throws one sentence that names the module and version when it cannot be had or does not
 * match what the database records.
 * @param {string} module @param {string} version
 * @param {{ proxy?: string, modCache?: string, go?: string }} [options]
 */
export async function verifiedModuleZip(module, version, options = {}) {
  const proxy = options.proxy ?? goProxy();
  const at = `${module}@${version}`;
  let run;
  try {
    run = await goModDownload(options.go ?? "go", ["mod", "download", "-json", at], verifiedGoEnv(proxy, options.modCache));
  } catch (err) {
    if (err.code === "ENOENT") {
      throw new Error(`reading ${at} needs Go, which downloads it and checks it against the checksum database: install Go 1.26 or newer, or add the CRDs' YAML file instead`);
    }
    throw err;
  }
  const { report, stderr } = run;
  // The zip is reported only once its hash matched the database (a module whose go.mod asks for a
  // newer Go than this one is still reported, with that as its error: its YAML is all that is read).
  if (report.Zip && typeof report.Sum === "string" && report.Sum.startsWith("h1:")) return new Uint8Array(readFileSync(report.Zip));
  const said = (report.Error ?? stderr).trim();
  const mismatch = /checksum mismatch\s+downloaded: (h1:\S+)\s+(\S+): (h1:\S+)/.exec(said);
  if (mismatch) {
    throw new Error(
      `${at} does not match the checksum database: the proxy served content hashing to ${mismatch[1]}, ${mismatch[2].replace(/:$/, "")} records ${mismatch[3]}; refused`,
    );
  }
  const first = said.split("\n")[0].replace(/^go: /, "");
  if (/\/sumdb\/|verifying (module|go\.mod)|sum\.golang\.org|checksum database/.test(said)) {
    if (/\b(404|410)\b/.test(said) || /not found/.test(said)) {
      throw new Error(`${at} cannot be verified: the checksum database has no record of it (${first}); only published module versions can be added`);
    }
    throw new Error(`${at} cannot be verified against the checksum database (${first}); check access to ${proxy} or set GOPROXY`);
  }
  if (/\b(404|410)\b|unknown revision|invalid version/.test(said)) {
    throw new Error(`the Go module proxy has no ${at}; list the versions it has with: go list -m -versions ${module}`);
  }
  if (/dial tcp|no such host|connection refused|timeout|TLS handshake/.test(said)) {
    throw new Error(`cannot reach the Go module proxy for ${at} (${first}); check access to ${proxy} or set GOPROXY`);
  }
  throw new Error(`go mod download ${at} failed: ${first || `exit ${run.status}`}`);
}

/**
 * The YAML files under `dir` in one Go module version, as `Map<path inside dir, text>`, read from
 * the module's zip once `go` has checked it against the checksum database (verifiedModuleZip).
 * Throws one sentence for a module or version the proxy does not have or that does not match.
 * @param {string} module @param {string} version @param {string} dir
 * @param {{ proxy?: string, modCache?: string, go?: string }} [options]
 */
export async function moduleYamlFiles(module, version, dir, options = {}) {
  const zip = await verifiedModuleZip(module, version, options);
  const prefix = `${module}@${version}/${dir.replace(/^\/+|\/+$/g, "")}${dir.replace(/^\/+|\/+$/g, "") === "" ? "" : "/"}`;
  /** @type {Map<string, string>} */
  const files = new Map();
  const entries = unzipSync(zip, { filter: (f) => f.name.startsWith(prefix) && /\.ya?ml$/.test(f.name) });
  for (const [name, data] of Object.entries(entries)) files.set(name.slice(prefix.length), new TextDecoder().decode(data));
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
