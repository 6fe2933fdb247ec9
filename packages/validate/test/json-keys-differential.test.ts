import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { validate, type ValidateResult } from '../src/index.ts';
import { readCases, type Reading } from './readings.ts';

/**
 * JSON manifests, which kubectl reads as JSON whenever a document starts with `{`. Its JSON reading
 * keeps the last value of a key written twice in one object without a word, while kustomize refuses
 * the file (`mapping key "k" already defined`): Strata reports the later key as it does in YAML
 * (duplicate-key, the same words), at its line, and places every finding of a JSON document at the
 * line of its field, not at the document's first line.
 *
 * kubectl's side is its own decoder (-reference), kustomize's the pinned kustomize building a folder
 * with the file as its one resource.
 */
const repo = findRoot(import.meta.dirname);

interface Case {
  readonly text: string;
  /** Each key written again: its line, the key, and the name of the object it is in. */
  readonly duplicates: readonly (readonly [number, string, string])[];
  /** A value kubectl reads, by path in the object named first: the last one written. */
  readonly kept?: readonly [string, readonly (string | number)[], unknown];
}

const pod = (securityContext: string) => `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "name": "web",
    "namespace": "shop"
  },
  "spec": {
    "hostNetwork": true,
    "containers": [
      {
        "name": "web",
        "image": "nginx:1.27",
        "securityContext": {
${securityContext}
        }
      }
    ]
  }
}
`;

const CASES: Record<string, Case> = {
  // kubectl sends the second value (true); a reader of the file sees false first.
  'pretty-twice': {
    text: pod('          "privileged": false,\n          "allowPrivilegeEscalation": true,\n          "privileged": true'),
    duplicates: [[17, 'privileged', 'web']],
    kept: ['web', ['spec', 'containers', 0, 'securityContext', 'privileged'], true],
  },
  'pretty-once': { text: pod('          "allowPrivilegeEscalation": true,\n          "privileged": true'), duplicates: [] },
  // Tabs between tokens are JSON's white space too.
  'tabs-once': {
    text: pod('          "allowPrivilegeEscalation": true,\n          "privileged": true').replace(/^( {2})+/gm, (s) => '\t'.repeat(s.length / 2)),
    duplicates: [],
  },
  'compact-two-keys': {
    text: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","namespace":"shop",
  "labels":{"tier":"a","tier":"b"}},
  "data":{"mode":"safe"},"data":{"mode":"fast"}}
`,
    duplicates: [
      [2, 'tier', 'settings'],
      [3, 'data', 'settings'],
    ],
    kept: ['settings', ['data'], { mode: 'fast' }],
  },
  // One key to kubectl: the escape is read before keys are compared.
  'escaped-spelling': {
    text: `{"apiVersion": "v1", "kind": "ConfigMap",
 "metadata": {"name": "esc", "namespace": "shop"},
 "data": {"mode": "safe",
          "m\\u006fde": "fast"}}
`,
    duplicates: [[4, 'mode', 'esc']],
    kept: ['esc', ['data', 'mode'], 'fast'],
  },
  // Keys are compared as written: two keys to kubectl.
  'case-differs': {
    text: `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "case", "namespace": "shop"},
 "data": {"mode": "safe", "Mode": "fast"}}
`,
    duplicates: [],
    kept: ['case', ['data', 'Mode'], 'fast'],
  },
  // In a list, the item the key is in is named.
  'list-item': {
    text: `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one", "namespace": "shop"}, "data": {"a": "1"}},
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two", "namespace": "shop"},
   "data": {"a": "1",
            "a": "2"}}
]}
`,
    duplicates: [[5, 'a', 'two']],
    kept: ['two', ['data', 'a'], '2'],
  },
};

const names = Object.keys(CASES);
let dir: string | undefined;
let kubectl: Map<string, Reading>;
let kustomize: Map<string, Reading>;
let results: Map<string, ValidateResult>;
beforeAll(async () => {
  ({ dir, kubectl, kustomize, results } = await readCases(repo, new Map(names.map((n) => [n, CASES[n]!.text])), 'json', { serverChecks: false }));
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const get = (v: unknown, path: readonly (string | number)[]): unknown =>
  path.reduce<unknown>((at, k) => (at as Record<string | number, unknown> | undefined)?.[k], v);

describe('JSON keys written twice, as kubectl and kustomize read them', () => {
  it.each(names)('%s: kubectl reads the file and keeps the last value written', (name) => {
    const c = CASES[name]!;
    const r = kubectl.get(name)!;
    expect(r.error).toBeUndefined();
    if (!c.kept) return;
    const [owner, path, value] = c.kept;
    const object = r.objects.map((o) => o.object).find((o) => get(o, ['metadata', 'name']) === owner);
    expect(get(object, path)).toStrictEqual(value);
  });

  it.each(names)('%s: kustomize refuses the file exactly when a key is written twice, naming the key', (name) => {
    const c = CASES[name]!;
    const r = kustomize.get(name)!;
    expect(r.error !== undefined, r.error).toBe(c.duplicates.length > 0);
    if (c.duplicates.length > 0) expect(r.error).toMatch(/mapping key "[^"]+" already defined/);
  });

  it.each(names)('%s: each key written again is reported at its line, in the words used for YAML, naming its object', (name) => {
    const c = CASES[name]!;
    const found = results.get(name)!.problems.filter((p) => p.rule === 'duplicate-key');
    expect(found.map((p) => [p.line, p.message, p.name])).toStrictEqual(
      c.duplicates.map(([line, key, owner]) => [
        line,
        `key ${JSON.stringify(key)} appears twice in one mapping; kubectl silently keeps only the last value: remove the other`,
        owner,
      ]),
    );
    // The line holds the key written again.
    const lines = c.text.split('\n');
    for (const p of found) expect(lines[p.line! - 1]).toMatch(/"[^"]*":/);
  });

  it('reports a key written twice in a YAML flow mapping in the same words', async () => {
    const file = join(dir!, 'flow.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flow, namespace: shop}\ndata: {mode: safe, mode: fast}\n');
    const r = await validate(repo, [file], { serverChecks: false, policy: false });
    const yaml = r.problems.find((p) => p.rule === 'duplicate-key')!;
    const json = results.get('escaped-spelling')!.problems.find((p) => p.rule === 'duplicate-key')!;
    expect(yaml.message).toBe(json.message);
  });
});

describe('lines of the findings of a JSON document', () => {
  it.each(['pretty-twice', 'pretty-once', 'tabs-once'])('%s: each finding of a field that is written is at the line of its key', (name) => {
    const lines = CASES[name]!.text.split('\n');
    const placed = results
      .get(name)!
      .problems.filter((p) => p.path !== undefined && p.rule !== 'duplicate-key')
      .map((p) => ({ p, leaf: /([A-Za-z]+)(?:\[\d+\])?$/.exec(p.path!)![1]! }))
      .filter(({ leaf }) => CASES[name]!.text.includes(`"${leaf}"`));
    expect(placed.length).toBeGreaterThanOrEqual(3);
    for (const { p, leaf } of placed) expect(lines[p.line! - 1], `${p.rule} ${p.path}`).toContain(`"${leaf}"`);
  });

  it('places a field written twice in YAML at the key kubectl keeps, the last, too', async () => {
    const file = join(dir!, 'twice.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
  - name: web
    image: nginx:1.27
    securityContext:
      privileged: false
      allowPrivilegeEscalation: true
      privileged: true
`,
    );
    const r = await validate(repo, [file], { serverChecks: false });
    expect(r.problems.filter((p) => p.rule === 'no-privileged' || p.rule === 'duplicate-key').map((p) => `${p.line} ${p.rule}`)).toStrictEqual([
      '13 duplicate-key',
      '13 no-privileged',
    ]);
  });

  it('places a field written twice at the key kubectl keeps, the last', () => {
    const at = (name: string) =>
      results
        .get(name)!
        .problems.filter((p) => p.rule === 'no-privileged' || p.rule === 'duplicate-key')
        .map((p) => `${p.line} ${p.rule} ${p.path ?? ''}`);
    expect(at('pretty-twice')).toMatchInlineSnapshot(`
      [
        "17 duplicate-key ",
        "17 no-privileged spec.containers[0].securityContext.privileged",
      ]
    `);
    expect(at('pretty-once')).toMatchInlineSnapshot(`
      [
        "16 no-privileged spec.containers[0].securityContext.privileged",
      ]
    `);
  });
});
