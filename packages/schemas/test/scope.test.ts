import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { namespacedIn, scopeOf } from '../src/index.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const crd = (group: string, kind: string, scope: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${kind.toLowerCase()}s.${group}` },
  spec: { group, scope, names: { kind, plural: `${kind.toLowerCase()}s` }, versions: [{ name: 'v1', served: true, storage: true }] },
});

describe('scopeOf', () => {
  it('scopes built-in kinds by group and kind as kube-apiserver serves them, including those never listed by name', () => {
    const scope = scopeOf();
    expect(scope({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass' })).toBe('Cluster');
    expect(scope({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy' })).toBe('Cluster');
    expect(scope({ apiVersion: 'v1', kind: 'Namespace' })).toBe('Cluster');
    expect(scope({ apiVersion: 'apps/v1', kind: 'Deployment' })).toBe('Namespaced');
    // A custom group's kind is its own, whatever its name or first label: nothing says its scope here.
    expect(scope({ apiVersion: 'apps.acme.io/v1', kind: 'Deployment' })).toBeUndefined();
    expect(scope({ apiVersion: 'acme.io/v1', kind: 'Namespace' })).toBeUndefined();
  });

  it("scopes custom kinds as their CRD says: the objects' own, then a repository's crds/, then the shipped ones", () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-scope-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'schemas'));
    writeFileSync(join(dir, 'acme.io_gadgets.yaml'), `# added\n---\n${stringify(crd('acme.io', 'Gadget', 'Cluster'))}`);
    writeFileSync(join(dir, 'acme.io_widgets.yaml'), `---\n${stringify(crd('acme.io', 'Widget', 'Cluster'))}`);
    const objects = [crd('acme.io', 'Widget', 'Namespaced'), crd('acme.io', 'Namespace', 'Namespaced')];
    const scope = scopeOf(objects, [dir]);
    expect(scope({ apiVersion: 'acme.io/v1', kind: 'Gadget' })).toBe('Cluster');
    expect(scope({ apiVersion: 'acme.io/v1', kind: 'Widget' })).toBe('Namespaced');
    expect(scope({ apiVersion: 'acme.io/v1', kind: 'Namespace' })).toBe('Namespaced');
    expect(scope({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass' })).toBe('Cluster');
    expect(scope({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' })).toBe('Namespaced');
    // cert-manager installs ClusterIssuer cluster-scoped; the shipped CRD says so too.
    expect(scope({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer' })).toBe('Cluster');
    expect(scope({ apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore' })).toBe('Cluster');
  });

  it('takes a kind nothing scopes for namespaced, as kustomize does', () => {
    const namespaced = namespacedIn();
    expect(namespaced({ apiVersion: 'unknown.example.com/v1', kind: 'Thing' })).toBe(true);
    expect(namespaced({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver' })).toBe(false);
  });
});
