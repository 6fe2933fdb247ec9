import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import type { ValidateResult } from '../src/index.ts';
import { readCases, type Reading } from './readings.ts';

/**
 * Every value that kubectl (YAML 1.1) and kustomize (YAML 1.2) read apart is a problem of its own,
 * at its line: an author who quotes the one reported must not find the next only in the next run.
 * kubectl's side is its own decoder (-reference), kustomize's the pinned kustomize building a folder
 * with the file as its one resource.
 */
const repo = findRoot(import.meta.dirname);

const CASES: Record<string, string> = {
  'three-in-one-pod': `apiVersion: v1
kind: Pod
metadata: {name: trio, namespace: shop}
spec:
  hostNetwork: yes
  hostPID: on
  hostIPC: Off
  containers:
  - name: web
    image: nginx:1.27
`,
  'one-in-each-item': `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: first, namespace: shop}
  spec:
    hostNetwork: yes
    containers: [{name: web, image: nginx:1.27}]
- apiVersion: v1
  kind: Pod
  metadata: {name: second, namespace: shop}
  spec:
    hostPID: on
    containers: [{name: web, image: nginx:1.27}]
`,
  'keys-read-apart': `apiVersion: v1
kind: ConfigMap
metadata:
  name: flags
  namespace: shop
data:
  plain: text
  yes: one
  on: two
`,
};

/** The paths of the scalars two readings of an object hold apart, with the key on which one reading has nothing. */
function apart(a: unknown, b: unknown, path: readonly (string | number)[] = []): string[] {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => apart((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, k]));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path.join('.')];
}

let dir: string | undefined;
let kubectl: Map<string, Reading>;
let kustomize: Map<string, Reading>;
let results: Map<string, ValidateResult>;
beforeAll(async () => {
  ({ dir, kubectl, kustomize, results } = await readCases(repo, new Map(Object.entries(CASES)), 'yaml', { serverChecks: false, policy: false }));
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const found = (name: string) => results.get(name)!.problems.filter((p) => p.rule === 'yaml-version');

describe('values YAML 1.1 and 1.2 read apart, each reported', () => {
  it.each(['three-in-one-pod', 'one-in-each-item'])('%s: one problem per value the two readings hold apart, each naming its object', (name) => {
    const k = kubectl.get(name)!;
    const z = kustomize.get(name)!;
    expect([k.error, z.error]).toStrictEqual([undefined, undefined]);
    const differing = k.objects.flatMap((o, i) =>
      apart(o.object, z.objects[i]!.object).map((path) => `${(o.object.metadata as { name: string }).name} ${path}`),
    );
    expect(differing.length).toBeGreaterThanOrEqual(2);
    expect(
      found(name)
        .map((p) => `${p.name} ${p.path}`)
        .sort(),
    ).toStrictEqual(differing.sort());
    // Each at the line that holds its field.
    const lines = CASES[name]!.split('\n');
    for (const p of found(name)) expect(lines[p.line! - 1]).toContain(`${p.path!.split('.').at(-1)}:`);
  });

  it('three-in-one-pod: lines and words', () => {
    expect(found('three-in-one-pod').map((p) => `${p.line} ${p.path}: ${p.message}`)).toMatchInlineSnapshot(`
      [
        "5 spec.hostNetwork: kubectl (YAML 1.1) reads true here but kustomize (YAML 1.2) "yes": write it so both agree (quote text; true or false for booleans)",
        "6 spec.hostPID: kubectl (YAML 1.1) reads true here but kustomize (YAML 1.2) "on": write it so both agree (quote text; true or false for booleans)",
        "7 spec.hostIPC: kubectl (YAML 1.1) reads false here but kustomize (YAML 1.2) "Off": write it so both agree (quote text; true or false for booleans)",
      ]
    `);
  });

  it('keys-read-apart: one problem per key read apart, at the key, though each is a field only one reading has', () => {
    const k = kubectl.get('keys-read-apart')!.objects[0]!.object.data;
    const z = kustomize.get('keys-read-apart')!.objects[0]!.object.data;
    expect([k, z]).toStrictEqual([
      { plain: 'text', true: 'two' },
      { plain: 'text', yes: 'one', on: 'two' },
    ]);
    const problems = found('keys-read-apart');
    expect(problems.map((p) => p.line)).toStrictEqual([8, 9]);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toMatchInlineSnapshot(`
      [
        "data.yes: kubectl (YAML 1.1) reads nothing here but kustomize (YAML 1.2) "one": write it so both agree (quote text; true or false for booleans)",
        "data.on: kubectl (YAML 1.1) reads this key as "true" but kustomize (YAML 1.2) as "on": write it so both agree (quote text; true or false for booleans)",
      ]
    `);
  });
});
