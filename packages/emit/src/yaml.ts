import { isPlainObject } from '@strata/core';
import { stringify } from 'yaml';
import { HEADER } from './header.ts';

// Keys that read best first wherever they appear; everything else follows alphabetically.
const FIRST = ['$patch', 'apiVersion', 'kind', 'metadata', 'name', 'namespace'];

function compareKeys(a: string, b: string): number {
  const ia = FIRST.indexOf(a);
  const ib = FIRST.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? FIRST.length : ia) - (ib < 0 ? FIRST.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A deep copy with every mapping's keys in the canonical order. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareKeys)) out[key] = sortKeys(value[key]);
    return out as T;
  }
  return value;
}

/**
 * YAML without anchors, folding or flow style, in the order the value's keys already have. Written
 * as YAML 1.1, so strings such as `off`, `yes` or `n` are quoted: kubectl, kubeconform and many other
 * readers still parse 1.1 and would turn them into booleans.
 */
export function dumpYaml(value: unknown): string {
  return stringify(value, YAML_OPTIONS);
}

export const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: true, version: '1.1' } as const;

/** A generated file: the header, a line naming its source and how to regenerate, then the YAML. */
export function generatedFile(value: unknown, source: string, sorted = true): string {
  return `${HEADER}\n# Source: ${source}. Regenerate with: npx strata generate\n${dumpYaml(sorted ? sortKeys(value) : value)}`;
}
