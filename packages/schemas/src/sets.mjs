// Built-in schema sets of Kubernetes versions other than the committed target. Each is made on the
// machine from the pinned kubernetes-validate wheel into a per-user cache shared by every checkout:
// a set is about 11 MB, and a checkout needs only the versions its environments name. Plain
// JavaScript so that the setup script can run it before anything is compiled.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { JSON_SCHEMA_DRAFT, closure, compareStrings, localiseRefs, writeJson } from "../scripts/lib.mjs";

export const KUBERNETES_VALIDATE_VERSION = "1.37.0";
export const KUBERNETES_VALIDATE_SHA256 = "85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9";
/** The minor versions the wheel carries strict schemas for. */
export const FIRST_MINOR = 25;
export const LAST_MINOR = 37;

/**
 * The revision of what writeBuiltinSet makes of the wheel. A set in the cache records it in
 * REVISION_FILE; one of another revision is made again.
 */
export const SET_REVISION = 3;
const REVISION_FILE = ".strata-set-revision";

const WHEEL = `kubernetes_validate-${KUBERNETES_VALIDATE_VERSION}-py3-none-any.whl`;

/** Where the committed sets live (the target version's). */
export const committedRoot = join(dirname(dirname(fileURLToPath(import.meta.url))), "kubernetes");

/** $STRATA_SCHEMA_CACHE, else $XDG_CACHE_HOME/strata/schemas, else ~/.cache/strata/schemas. */
export function schemaCacheRoot(env = process.env) {
  return env.STRATA_SCHEMA_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "strata", "schemas");
}

/**
 * `1.34`, `v1.34` or `1.34.2` as the set it uses, `1.34.0`: the wheel has one set per minor version.
 * Throws a sentence naming the versions there are for anything else.
 * @param {string} version
 */
export function kubernetesSetVersion(version) {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(String(version).trim());
  if (!match) throw new Error(`"${version}" is not a Kubernetes version: write one such as 1.36 (sets exist for 1.${FIRST_MINOR} to 1.${LAST_MINOR})`);
  const minor = Number(match[2]);
  if (match[1] !== "1" || minor < FIRST_MINOR || minor > LAST_MINOR) {
    throw new Error(`Kubernetes ${match[1]}.${minor} is not supported: kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} carries schemas for 1.${FIRST_MINOR} to 1.${LAST_MINOR}`);
  }
  return `1.${minor}.0`;
}

/** The folder of a version's set: the committed one where there is one, else the cache's. */
export function kubernetesSetDir(version, cacheRoot = schemaCacheRoot()) {
  const name = `v${kubernetesSetVersion(version)}-standalone-strict`;
  const committed = join(committedRoot, name);
  return existsSync(committed) ? committed : join(cacheRoot, `kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`, name);
}

/** kubeconform's `{{.ResourceKind}}{{.KindSuffix}}`: the group is cut at its first dot. */
function fileName({ group, version, kind }) {
  const groupPart = group === "" ? "" : `-${group.split(".")[0].toLowerCase()}`;
  return `${kind.toLowerCase()}${groupPart}-${version.toLowerCase()}.json`;
}

/**
 * The definitions the wheel writes as a `oneOf` of a nullable string and another nullable type, with
 * that other type. Null matches both branches and is refused, while the server decodes it as an
 * absent value: it defaults an int-or-string (a Service port's `targetPort`, a rolling update's
 * `maxSurge`) and takes a quantity as zero (a container's `resources.limits.cpu`).
 */
const NULL_TWICE = {
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "integer",
  "io.k8s.apimachinery.pkg.api.resource.Quantity": "number",
};

/**
 * The definitions with null where the API server takes it for an int-or-string or a quantity: only
 * the string branch of their `oneOf` takes null, so null matches exactly one. Where the field is
 * required (a probe's `port`) it stays refused, as the server refuses port 0, by a `type` beside the
 * `$ref`. Changing this changes every set: bump SET_REVISION.
 * @param {Record<string, any>} defs
 */
export function withServerNulls(defs) {
  /** @type {Record<string, any>} */
  const out = { ...defs };
  /** @type {Map<string, string>} the `$ref` of each such definition, and its other type */
  const refs = new Map();
  for (const [name, other] of Object.entries(NULL_TWICE)) {
    if (!(name in defs)) continue;
    out[name] = { ...defs[name], oneOf: [{ type: ["string", "null"] }, { type: other }] };
    refs.set(`#/$defs/${name}`, other);
  }
  if (refs.size === 0) return defs;
  for (const [name, def] of Object.entries(defs)) {
    if (!Array.isArray(def.required) || def.properties === null || typeof def.properties !== "object") continue;
    const required = def.required.filter((p) => refs.has(def.properties[p]?.$ref ?? ""));
    if (required.length === 0) continue;
    const properties = { ...def.properties };
    for (const p of required) properties[p] = { ...properties[p], type: [refs.get(properties[p].$ref), "string"] };
    out[name] = { ...def, properties };
  }
  return out;
}

/**
 * Writes the standalone strict schema of every kind in one version's `_definitions.json` into
 * `outDir` in kubeconform's layout, every definition a kind needs inlined under `$defs`, so no
 * schema points outside its own file. Returns how many files it wrote.
 * @param {Record<string, any>} defs @param {string} outDir
 */
export function writeBuiltinSet(source, outDir) {
  const defs = withServerNulls(source);
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
  return written.size;
}

/** The wheel in the cache, fetched with pip the first time and checked against its pinned hash. */
export function ensureWheel(cacheRoot = schemaCacheRoot()) {
  const dir = join(cacheRoot, `kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`);
  const wheel = join(dir, WHEEL);
  if (existsSync(wheel)) return wheel;
  const staging = `${dir}/.download-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    const r = spawnSync(
      "python3",
      ["-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:", `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`, "-d", staging],
      { encoding: "utf8" },
    );
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : `${r.stderr}`.trim().split("\n").pop();
      throw new Error(`cannot fetch kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} with python3 -m pip download (${why}); install python3 with pip and check access to PyPI`);
    }
    const fetched = join(staging, WHEEL);
    const hash = createHash("sha256").update(readFileSync(fetched)).digest("hex");
    if (hash !== KUBERNETES_VALIDATE_SHA256) throw new Error(`${WHEEL} from PyPI has sha256 ${hash}, not the pinned ${KUBERNETES_VALIDATE_SHA256}; refusing it`);
    renameSync(fetched, wheel);
    return wheel;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** One member of the wheel, read with python3's zipfile (pip needs python3 anyway). */
function readWheelMember(wheel, member) {
  const r = spawnSync("python3", ["-c", "import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))", wheel, member], {
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) throw new Error(`cannot read ${member} from ${wheel}: ${r.error ? r.error.message : String(r.stderr).trim().split("\n").pop()}`);
  return r.stdout;
}

/**
 * Makes the set of one Kubernetes version in the cache unless it is committed or already there, and
 * returns its folder and whether it was made now. The set is written beside its place and renamed
 * into it, so a set in the cache is always whole, also when two setups run at once.
 * @param {string} version @param {{ cacheRoot?: string }} [options]
 */
export function ensureKubernetesSet(version, options = {}) {
  const cacheRoot = options.cacheRoot ?? schemaCacheRoot();
  const setVersion = kubernetesSetVersion(version);
  const dir = kubernetesSetDir(setVersion, cacheRoot);
  const marker = join(dir, REVISION_FILE);
  const current = () => dir.startsWith(committedRoot) || (existsSync(marker) && readFileSync(marker, "utf8").trim() === String(SET_REVISION));
  if (existsSync(dir) && current()) return { dir, made: false };
  const wheel = ensureWheel(cacheRoot);
  const member = `kubernetes_validate/kubernetes-json-schema/v${setVersion}-local-strict/_definitions.json`;
  const defs = JSON.parse(readWheelMember(wheel, member).toString("utf8")).$defs;
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    writeBuiltinSet(defs, staging);
    writeFileSync(join(staging, REVISION_FILE), `${SET_REVISION}\n`);
    // A set made by an older generator is moved aside first, then removed.
    const stale = `${dir}.stale-${process.pid}`;
    if (existsSync(dir) && !current()) renameSync(dir, stale);
    try {
      renameSync(staging, dir);
    } catch (err) {
      // Another setup finished the same set first: theirs is as good as this one.
      if (!existsSync(dir)) throw err;
    } finally {
      rmSync(stale, { recursive: true, force: true });
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { dir, made: true };
}
