import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { ensureServers, startServer, verifyDocuments, type Server } from '@strata/verify';
import { BUILD_TIMEOUT } from '../../verify/test/helpers.ts';
import { decoderPath, parseInputs, validate } from '../src/index.ts';
import { kubectlReadings, kustomizeReadings, objectKey, type Reading } from './readings.ts';

/**
 * YAML merge keys (`<<`) as kubectl, kustomize and the API server take them. kubectl converts each
 * document to JSON leniently (k8s.io/apimachinery's YAML-or-JSON decoder, sigs.k8s.io/yaml) before
 * any validation, and sends JSON, so `--validate=strict` never sees a YAML key twice: a key written
 * beside a `<<` overrides the merged one, and a key written twice in one mapping silently keeps its
 * last value. kustomize (YAML 1.2) takes the override and refuses the key written twice (`mapping
 * key "a" already defined`). Strata must accept every override that both read alike and report
 * each key written twice, at its line, naming the object it is in.
 *
 * kubectl's side is its own decoder (the decoder's -reference mode), kustomize's the pinned
 * kustomize building a folder with the file as its one resource, and the objects kubectl sends go
 * to the real API server (server-side dry run, strict field validation).
 */
const repo = findRoot(import.meta.dirname);
const kustomizeBin = join(repo, '.tools', 'bin', 'kustomize');

interface Case {
  readonly text: string;
  /** A key written twice: the line of the second and the name of the object it is in. */
  readonly duplicate?: readonly [number, string];
  /** A value kubectl reads, by path from the index of its object: the override that must win. */
  readonly value?: readonly [readonly (string | number)[], unknown];
}

const deployment = (labels: string, extra = '') =>
  `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default, labels: &l {app: web, tier: frontend}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels:
${labels}
    spec:
      containers:
      - name: web
        image: nginx:1.27
${extra}`;

/** A ConfigMap whose data merges its labels and its annotations (`<<: [*a, *b]`), then has `own` written beside. */
const mergedConfigMap = (name: string, own = '') =>
  `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: default
  labels: &a {one: a1, both: from-a}
  annotations: &b {two: b2, both: from-b}
data:
  <<: [*a, *b]
${own}`;

/** A List of two ConfigMaps, the second merging the first (`<<: *cm`) and writing its own name and data. */
const mergedList = (data: string, ownData: string) =>
  `apiVersion: v1
kind: List
items:
- &cm
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: one, namespace: default}
  data: ${data}
- <<: *cm
  metadata: {name: two, namespace: default}
  data:${ownData}
`;

const CASES: Record<string, Case> = {
  'override-labels': {
    text: deployment('        <<: *l\n        tier: pod'),
    value: [[0, 'spec', 'template', 'metadata', 'labels', 'tier'], 'pod'],
  },
  'override-deep': {
    text: deployment(
      '        <<: *l',
      '        resources:\n          limits: &lim {cpu: 100m, memory: 64Mi}\n          requests:\n            <<: *lim\n            cpu: 50m\n',
    ),
    value: [[0, 'spec', 'template', 'spec', 'containers', 0, 'resources', 'requests', 'cpu'], '50m'],
  },
  'override-whole-container': {
    text: `apiVersion: v1
kind: Pod
metadata: {name: twins, namespace: default}
spec:
  containers:
  - &c {name: a, image: "nginx:1.27", ports: [{containerPort: 80}]}
  - <<: *c
    name: b
    ports: [{containerPort: 81}]
`,
    value: [[0, 'spec', 'containers', 1, 'name'], 'b'],
  },
  'merge-list-first-wins': {
    text: mergedConfigMap('merged'),
    value: [[0, 'data', 'both'], 'from-a'],
  },
  'merge-list-override': {
    text: mergedConfigMap('merged2', '  both: own\n  two: own2\n'),
    value: [[0, 'data', 'both'], 'own'],
  },
  'duplicate-beside-merge': {
    text: deployment('        <<: *l\n        tier: pod\n        tier: canary'),
    duplicate: [11, 'web'],
  },
  'duplicate-in-anchor': {
    text: `apiVersion: v1
kind: ConfigMap
metadata:
  name: anchored
  namespace: default
  labels: &l {app: web, app: api}
data:
  <<: *l
`,
    duplicate: [6, 'anchored'],
  },
  'duplicate-without-merge': {
    text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: default}\ndata:\n  a: "1"\n  a: "2"\n',
    duplicate: [6, 'plain'],
  },
  'list-item-merge': {
    text: mergedList('{a: "1", b: "2"}', ' {a: "3"}'),
    value: [[1, 'data'], { a: '3' }],
  },
  'list-item-duplicate': {
    text: mergedList('{a: "1"}', '\n    a: "2"\n    a: "3"'),
    duplicate: [13, 'two'],
  },
  'anchor-in-another-document': {
    text: `apiVersion: v1
kind: ConfigMap
metadata: {name: first, namespace: default, labels: &l {app: web}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: second
  namespace: default
  labels:
    <<: *l
`,
  },
  // YAML 1.1 as kubectl reads it lets a merge written after a key override that key; YAML 1.2 as
  // kustomize reads it keeps the key: the two read other objects.
  'override-before-merge': {
    text: deployment('        tier: pod\n        <<: *l'),
  },
};

const key = objectKey;
const at = (o: unknown, path: readonly (string | number)[]) => path.reduce<unknown>((v, s) => (v as Record<string | number, unknown>)?.[s], o);

let server: Server;
let dir: string;
/** A tool's objects, or its error. */
interface Outcome {
  readonly objects: readonly Record<string, unknown>[];
  readonly error?: string;
}
const kubectl = new Map<string, Outcome>();
const kustomize = new Map<string, Outcome>();
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-merge-keys-'));
  const names = Object.keys(CASES);
  const bin = decoderPath(repo);
  if (!bin) throw new Error('strata-decode is not built: run npm run setup');
  const objectsOf = (r: Reading): Outcome => ({ objects: r.objects.map((o) => o.object), ...(r.error ? { error: r.error } : {}) });
  (
    await kubectlReadings(
      bin,
      names.map((n) => Buffer.from(CASES[n]!.text)),
    )
  ).forEach((r, i) => kubectl.set(names[i]!, objectsOf(r)));
  (
    await kustomizeReadings(
      kustomizeBin,
      bin,
      names.map((n) => ({ name: 'object.yaml', text: Buffer.from(CASES[n]!.text) })),
      dir,
    )
  ).forEach((r, i) => kustomize.set(names[i]!, objectsOf(r)));
  for (const name of names) writeFileSync(join(dir, `${name}.yaml`), CASES[name]!.text);
  server = await startServer(await ensureServers());
}, BUILD_TIMEOUT);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('merge keys, as kubectl, kustomize and the API server take them', () => {
  it.each(Object.keys(CASES))(
    '%s: a key written twice is reported at its object, an override is not, and what the tools refuse is refused',
    async (name) => {
      const c = CASES[name]!;
      const k = kubectl.get(name)!;
      const z = kustomize.get(name)!;
      const file = join(dir, `${name}.yaml`);
      const r = await validate(repo, [file], { policy: false });
      const errors = r.problems.filter((p) => p.severity === 'error');
      const duplicates = errors.filter((p) => p.rule === 'duplicate-key');
      // kustomize refuses a key written twice in one mapping, and only that: the real tools' word
      // for what a duplicate is.
      const kustomizeSaysDuplicate = /mapping key .* already defined/.test(z.error ?? '');
      expect(kustomizeSaysDuplicate, z.error ?? 'kustomize builds it').toBe(c.duplicate !== undefined);
      if (c.duplicate) {
        expect(k.error, 'kubectl reads it, keeping the last value').toBeUndefined();
        expect(
          duplicates.map((p) => [p.line, p.name]),
          JSON.stringify(errors),
        ).toStrictEqual([[...c.duplicate]]);
        return;
      }
      expect(duplicates, JSON.stringify(duplicates)).toStrictEqual([]);
      const agree = !k.error && !z.error && [...k.objects.map(key)].sort().join('\n') === [...z.objects.map(key)].sort().join('\n');
      if (!agree) {
        const why = k.error ? `kubectl: ${k.error}` : z.error ? `kustomize: ${z.error}` : 'kubectl and kustomize read different objects';
        // The reader says so, at a line: a schema or server finding of the same file proves nothing about the disagreement.
        const read = (await parseInputs(repo, [file])).problems.filter((p) => p.severity === 'error');
        expect(
          read.length,
          `${why}; the reader reports nothing (the checks after it: ${errors.map((p) => p.rule).join(', ') || 'nothing'})`,
        ).toBeGreaterThan(0);
        for (const p of read) expect(p.line, JSON.stringify(p)).toBeGreaterThanOrEqual(1);
        expect(errors).toEqual(expect.arrayContaining(read.map((p) => expect.objectContaining({ rule: p.rule, line: p.line }))));
        return;
      }
      expect(errors, JSON.stringify(errors)).toStrictEqual([]);
      if (c.value) expect(at(k.objects, c.value[0])).toStrictEqual(c.value[1]);
      const parsed = await parseInputs(repo, [file]);
      expect(parsed.docs.map((d) => key(d.manifest as Record<string, unknown>))).toStrictEqual(k.objects.map(key));
      const real = await verifyDocuments(parsed.docs, { server, root: repo });
      expect(real.problems.filter((p) => p.severity === 'error')).toStrictEqual([]);
    },
    BUILD_TIMEOUT,
  );

  it('has overrides both tools take, keys written twice, and inputs they refuse or read apart', () => {
    const refused = Object.keys(CASES).filter((n) => kubectl.get(n)!.error || kustomize.get(n)!.error);
    expect(Object.values(CASES).filter((c) => c.duplicate).length).toBeGreaterThanOrEqual(4);
    expect(Object.values(CASES).filter((c) => c.value).length).toBeGreaterThanOrEqual(6);
    expect(refused).toContain('anchor-in-another-document');
    expect(kubectl.get('override-before-merge')!.error).toBeUndefined();
    expect(kustomize.get('override-before-merge')!.error).toBeUndefined();
  });
});
