import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { parseObjects, rules, runPolicy, toProblem, type PolicyObject } from '../src/index.ts';

// An object named only by metadata.generateName reaches the rules too (validate reports its missing
// name and still checks the rest), so no rule may take metadata.name for a string.

const dir = join(import.meta.dirname, '..', '__fixtures__');
const fixtures = (['invalid', 'valid'] as const).flatMap((kind) =>
  readdirSync(join(dir, kind))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: `${kind}/${f}`, objects: parseObjects(readFileSync(join(dir, kind, f), 'utf8'), f) })),
);

/** The object with its metadata.name replaced by a generateName made of it, or with no name at all. */
function unnamed(o: PolicyObject, generate = true): PolicyObject {
  const { name, ...metadata } = o.manifest.metadata;
  return { ...o, manifest: { ...o.manifest, metadata: { ...metadata, ...(generate && { generateName: `${name}-` }) } as Manifest['metadata'] } };
}

/** Each fixture with every object named by generateName, then with one object at a time, then with no names. */
const sets = fixtures.flatMap(({ file, objects }) => [
  { what: `${file}, every object`, objects: objects.map((o) => unnamed(o)) },
  ...objects.map((o, i) => ({ what: `${file}, object ${i}`, objects: objects.map((x) => (x === o ? unnamed(x) : x)) })),
  { what: `${file}, no names`, objects: objects.map((o) => unnamed(o, false)) },
]);

describe('every rule, over objects named only by generateName', () => {
  it('has sets with every kind the fixtures hold', () => expect(sets.length).toBeGreaterThan(200));

  it.each(rules.map((r) => [r.id, r]))('%s neither throws nor speaks of an undefined name', (_id, rule) => {
    const ctx = { env: 'prod' as const, singleReplica: true, severity: { [rule.id]: { prod: 'error' as const } } };
    for (const { what, objects } of sets) {
      let findings: ReturnType<typeof runPolicy> = [];
      expect(() => {
        findings = runPolicy(objects, ctx, [rule]);
      }, what).not.toThrow();
      for (const f of findings) {
        expect(f.message, what).not.toMatch(/undefined|""/);
        expect(toProblem(f).name === undefined || typeof toProblem(f).name === 'string', what).toBe(true);
      }
    }
  });

  it('names an object by the pattern of the names the server gives it', () => {
    const hpa = (name: string): Manifest => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { generateName: name, namespace: 'shop' } as unknown as Manifest['metadata'],
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3 },
    });
    const [single] = rules.filter((r) => r.id === 'single-autoscaler');
    const findings = runPolicy(
      [
        { manifest: hpa('web-cpu-'), file: 'f.yaml' },
        { manifest: hpa('web-mem-'), file: 'f.yaml' },
      ],
      {},
      [single!],
    );
    expect(findings.map((f) => f.message)).toStrictEqual([
      'HorizontalPodAutoscaler "web-mem-*" and HorizontalPodAutoscaler "web-cpu-*" both scale Deployment "web" and would fight over its replicas: keep one of them for this env.',
    ]);
  });
});
