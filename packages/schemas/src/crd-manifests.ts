import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { schemaCacheRoot } from './sets.mjs';

/** Texts smaller than this parse faster than their hash and cached copy are read. */
const CACHED_FROM = 64 * 1024;

/** Changed when the reading below changes, so that no copy made by another reading is used. */
const READING = 'js-yaml-core-1';

/**
 * The documents of a CRD manifest file Strata ships (`crds/<group>_<plural>.yaml`), read as YAML
 * with the core schema, as `strata verify` installs them. A big text (Argo CD's ApplicationSet CRD
 * is 2 MB, 0.3 s to parse) is read once per machine: its documents are kept as JSON in the schema
 * cache under the text's SHA-256, and read from there while the text stays the same. JSON holds
 * what the core schema reads (maps, lists, strings, finite numbers, booleans, null); a text with
 * anything else is not kept. Throws the YAML error for a text that is not YAML.
 */
export function crdManifestDocuments(text: string, cacheRoot: string = schemaCacheRoot()): unknown[] {
  if (text.length < CACHED_FROM) return loadAll(text, undefined, { schema: CORE_SCHEMA });
  const key = createHash('sha256').update(READING).update('\0').update(text).digest('hex');
  const file = join(cacheRoot, 'crd-manifests', `${key}.json`);
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (Array.isArray(kept)) return kept;
  } catch {
    // Not kept yet, or not readable as kept: read the text.
  }
  const documents = loadAll(text, undefined, { schema: CORE_SCHEMA });
  const json = JSON.stringify(documents);
  // NaN, Infinity and -0 do not come back from JSON as they were.
  if (holdsOnlyJson(documents)) {
    const temp = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(join(cacheRoot, 'crd-manifests'), { recursive: true });
      writeFileSync(temp, json);
      renameSync(temp, file);
    } catch {
      // A cache that cannot be written (a read-only home) only costs the next run this parse.
      try {
        rmSync(temp, { force: true });
      } catch {
        // nothing was written
      }
    }
  }
  return documents;
}

function holdsOnlyJson(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(holdsOnlyJson);
  if (value !== null && typeof value === 'object') return Object.values(value).every(holdsOnlyJson);
  return value === null || typeof value === 'string' || typeof value === 'boolean';
}
