import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { builtinKinds, FIRST_MINOR, LAST_MINOR, namespacedIn, scopeOf } from '../src/index.ts';

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
    expect(scope({ apiVersion: 'external-secrets.io/v1alpha1', kind: 'ClusterPushSecret' })).toBe('Cluster');
    expect(scope({ apiVersion: 'external-secrets.io/v1alpha1', kind: 'PushSecret' })).toBe('Namespaced');
  });

  it('takes a kind nothing scopes for namespaced, as kustomize does', () => {
    const namespaced = namespacedIn();
    expect(namespaced({ apiVersion: 'unknown.example.com/v1', kind: 'Thing' })).toBe(true);
    expect(namespaced({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver' })).toBe(false);
  });

  it('knows the scope of every built-in kind any supported version serves, but for the few newer than its kube-apiserver, which are taken for namespaced', () => {
    const scope = scopeOf();
    const unknown = new Set<string>();
    for (let minor = FIRST_MINOR; minor <= LAST_MINOR; minor++)
      for (const [apiVersion, kinds] of builtinKinds(`1.${minor}`))
        for (const kind of kinds) if (scope({ apiVersion, kind }) === undefined) unknown.add(`${apiVersion} ${kind}`);
    // Kinds kube-apiserver v1.36.3 never served: gone before it (alpha kinds of 1.26 to 1.31 and
    // ClusterCIDR), or new in 1.37. An env on 1.37 that deploys one gets the namespace kustomize gives
    // it, and no check that judges by scope (the Argo CD project's cluster-scoped kinds, namespaces
    // that must exist, a namespace on a cluster-scoped object) knows it for cluster-scoped.
    expect([...unknown].sort()).toStrictEqual([
      'lifecycle.k8s.io/v1alpha1 EvictionRequest',
      'networking.k8s.io/v1alpha1 ClusterCIDR',
      'resource.k8s.io/v1alpha1 PodScheduling',
      'resource.k8s.io/v1alpha1 ResourceClass',
      'resource.k8s.io/v1alpha2 PodSchedulingContext',
      'resource.k8s.io/v1alpha2 ResourceClaimParameters',
      'resource.k8s.io/v1alpha2 ResourceClass',
      'resource.k8s.io/v1alpha2 ResourceClassParameters',
      'resource.k8s.io/v1alpha3 PodSchedulingContext',
      'scheduling.k8s.io/v1alpha3 CompositePodGroup',
    ]);
    expect(namespacedIn()({ apiVersion: 'scheduling.k8s.io/v1alpha3', kind: 'CompositePodGroup' })).toBe(true);
  });
});
