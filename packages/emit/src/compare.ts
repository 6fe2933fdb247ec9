import { dequal as isDeepStrictEqual } from 'dequal/lite';
import { createTwoFilesPatch } from 'diff';
import { describe, GENERATED_ANNOTATION, isPlainObject, type Manifest } from '@strata/core';
import { dumpYaml, sortKeys } from './yaml.ts';

/**
 * Kustomize's hash suffix: ten hex digits with 0, 1, 3, a and e written g, h, k, m and t (api/hasher
 * encode), so a plain ConfigMap named with a date beside a generator (`settings-2024120701`) is not
 * taken for its output, nor its references for the generator's.
 */
const HASH_SUFFIX = /^(.*)-[2456789bcdfghkmt]{10}$/;

/** Replaces every exact string `from` in a value with `to`. */
function renameStrings(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return names.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => renameStrings(v, names));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameStrings(v, names)]));
  return value;
}

/**
 * Brings built output and rendered objects to one form: generated ConfigMaps lose the hash suffix
 * Kustomize gives them (and every reference to it), and the generator marker is dropped. Keys are
 * put in the canonical order unless `sorted` is false (for a comparison, which ignores their order).
 */
export function normalize(manifests: readonly Manifest[], generatedNames: ReadonlySet<string>, sorted = true): Manifest[] {
  const renames = new Map<string, string>();
  for (const m of manifests) {
    const match = m.kind === 'ConfigMap' ? HASH_SUFFIX.exec(m.metadata.name) : null;
    if (match && generatedNames.has(match[1]!)) renames.set(m.metadata.name, match[1]!);
  }
  return manifests.map((m) => {
    const out = renames.size > 0 ? (renameStrings(m, renames) as Manifest) : { ...m };
    if (out.metadata.annotations?.[GENERATED_ANNOTATION] !== undefined) {
      const annotations = { ...out.metadata.annotations };
      delete annotations[GENERATED_ANNOTATION];
      out.metadata = { ...out.metadata };
      if (Object.keys(annotations).length > 0) out.metadata.annotations = annotations;
      else delete out.metadata.annotations;
    }
    return sorted ? sortKeys(out) : out;
  });
}

const idOf = (m: Manifest) => `${m.apiVersion}/${m.kind} ${m.metadata.namespace ?? ''}/${m.metadata.name}`;

export interface Mismatch {
  readonly id: string;
  /** Unified diff from expected to actual. */
  readonly diff: string;
}

/** Objects that differ between two sets, matched by apiVersion, kind, namespace and name. */
export function compareManifests(
  expected: readonly Manifest[],
  actual: readonly Manifest[],
  label: { expected: string; actual: string },
): Mismatch[] {
  const exp = new Map(expected.map((m) => [idOf(m), m]));
  const act = new Map(actual.map((m) => [idOf(m), m]));
  const out: Mismatch[] = [];
  for (const id of [...new Set([...exp.keys(), ...act.keys()])].sort()) {
    const e = exp.get(id);
    const a = act.get(id);
    if (e && a && isDeepStrictEqual(e, a)) continue;
    const name = describe((e ?? a)!);
    out.push({
      id: name,
      diff: createTwoFilesPatch(
        `${label.expected}: ${name}`,
        `${label.actual}: ${name}`,
        e ? dumpYaml(sortKeys(e)) : '',
        a ? dumpYaml(sortKeys(a)) : '',
        '',
        '',
        {
          context: 3,
        },
      ),
    });
  }
  return out;
}
