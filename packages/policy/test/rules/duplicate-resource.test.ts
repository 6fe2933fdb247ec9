import { describe, expect, it } from 'vitest';
import { duplicateResource } from '../../src/rules/duplicate-resource.ts';
import type { PolicyObject } from '../../src/index.ts';
import { check, manifest, summary, withoutNamespace } from '../support.ts';

describe('duplicate-resource', () => {
  it('stays quiet when group, kind, namespace or name differ', () => {
    const objects = [
      manifest('v1', 'ConfigMap', 'a'),
      manifest('v1', 'ConfigMap', 'b'),
      manifest('v1', 'ConfigMap', 'a', {}, 'other'),
      manifest('v1', 'Secret', 'a'),
      manifest('example.com/v1', 'ConfigMap', 'a'),
    ];
    expect(check(duplicateResource, objects)).toStrictEqual([]);
  });

  it("reports the second of two objects with one identity, naming the first one's line; versions do not matter", () => {
    const found = check(duplicateResource, [manifest('apps/v1', 'Deployment', 'web'), manifest('apps/v1beta1', 'Deployment', 'web')]);
    expect(summary(found)).toStrictEqual([
      { name: 'web', message: 'same group, kind, namespace and name as the object at line 1; one would replace the other when applied' },
    ]);
    expect(found[0]?.object.line).toBe(2);
  });

  it('stays quiet about objects named by generateName: the server gives each a name of its own', () => {
    const job = () =>
      ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'migrate-', namespace: 'shop' } }) as unknown as PolicyObject['manifest'];
    const objects: PolicyObject[] = [
      { manifest: job(), file: 'jobs.yaml', line: 1 },
      { manifest: job(), file: 'jobs.yaml', line: 7 },
    ];
    expect(duplicateResource.check(objects, {})).toStrictEqual([]);
  });

  it('does not compare objects of different files', () => {
    const m = manifest('v1', 'ConfigMap', 'a');
    const objects: PolicyObject[] = [
      { manifest: m, file: 'one.yaml', line: 1 },
      { manifest: m, file: 'two.yaml', line: 1 },
    ];
    expect(duplicateResource.check(objects, {})).toStrictEqual([]);
  });

  it('takes an object written without a namespace, applied as written, for one in that namespace', () => {
    const written = withoutNamespace(manifest('v1', 'ConfigMap', 'a'));
    expect(check(duplicateResource, [written, manifest('v1', 'ConfigMap', 'a', {}, 'default')], { applyNamespace: 'default' })).toHaveLength(1);
    expect(check(duplicateResource, [written, manifest('v1', 'ConfigMap', 'a', {}, 'default')])).toStrictEqual([]);
  });
});
