import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { builtinKinds, kustomizeSetsNamespace } from '@strata/schemas';

// Overlay derivation keeps out of a `namespace:` what kustomize would wrongly namespace, by the table
// of the kinds its namespace transformer knows for cluster-scoped: that table must be kustomize's own.
describe("kustomize's namespace transformer", () => {
  const work = mkdtempSync(join(tmpdir(), 'strata-kustomize-scopes-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('namespaces exactly the kinds kustomizeSetsNamespace says, for every built-in apiVersion and kind of 1.36 and a custom one', async () => {
    const kinds = [...builtinKinds('1.36')].flatMap(([apiVersion, ks]) => [...ks].map((kind) => ({ apiVersion, kind })));
    // Kinds of its table that 1.36 no longer serves, and custom kinds named like built-in ones.
    kinds.push(
      { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kind: 'FlowSchema' },
      { apiVersion: 'rbac.authorization.k8s.io/v1beta1', kind: 'ClusterRole' },
      { apiVersion: 'acme.io/v1', kind: 'ClusterRole' },
      { apiVersion: 'acme.io/v1', kind: 'Namespace' },
    );
    const docs = kinds.map((k, i) => `apiVersion: ${k.apiVersion}\nkind: ${k.kind}\nmetadata:\n  name: o${i}\n`);
    writeFileSync(join(work, 'objects.yaml'), docs.join('---\n'));
    writeFileSync(join(work, 'kustomization.yaml'), 'namespace: team\nresources:\n- objects.yaml\n');
    const [built] = await buildOverlays(findRoot(), [work]);
    expect(built!.error).toBeUndefined();
    const objects = parseBuild(built!.yaml, 'scopes');
    expect(objects).toHaveLength(kinds.length);
    const namespaced = (m: { apiVersion: string; kind: string; metadata: { namespace?: string } }) =>
      `${m.apiVersion} ${m.kind}: ${m.metadata.namespace === undefined ? 'left alone' : 'namespaced'}`;
    const expected = kinds.map((k) => `${k.apiVersion} ${k.kind}: ${kustomizeSetsNamespace(k) ? 'namespaced' : 'left alone'}`).sort();
    expect(objects.map(namespaced).sort()).toStrictEqual(expected);
    // Not a table of nothing: the ones it knows are left alone, newer cluster-scoped kinds are not.
    expect(expected).toContain('rbac.authorization.k8s.io/v1 ClusterRole: left alone');
    expect(expected).toContain('admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy: namespaced');
  });
});
