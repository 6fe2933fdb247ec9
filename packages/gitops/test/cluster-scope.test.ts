import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ENVIRONMENTS, type Manifest } from '@strata/core';
import { planGitops, syncPlan, type GitopsSettings } from '../src/index.ts';

// Argo CD admits a cluster-scoped object only when its project's clusterResourceWhitelist names its
// group and kind, and takes the scope from the cluster's discovery: built-in kinds as kube-apiserver
// serves them, custom kinds as their CRD says. A kind left out fails the app's sync in every env.

const settings: GitopsSettings = { repoURL: 'https://git.example.test/team/fixture.git', targetRevision: 'main' };
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function crd(group: string, kind: string, scope: 'Cluster' | 'Namespaced'): Manifest {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
      ],
    },
  };
}

const object = (apiVersion: string, kind: string, name: string, namespace?: string): Manifest => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

/** A repository whose crds/ holds what `strata crd add` wrote: a cluster-scoped Gadget of acme.io. */
function repoWithAddedCrd(): string {
  const root = mkdtempSync(join(tmpdir(), 'strata-gitops-scope-'));
  roots.push(root);
  mkdirSync(join(root, 'crds'));
  writeFileSync(join(root, 'crds', 'acme.io_gadgets.yaml'), `---\n${stringify(crd('acme.io', 'Gadget', 'Cluster'))}`);
  return root;
}

function whitelist(files: Map<string, string>, env: string): unknown {
  const project = parse(files.get(`gitops/${env}/appproject.strata-${env}.yaml`)!) as { spec: { clusterResourceWhitelist: unknown } };
  return project.spec.clusterResourceWhitelist;
}

describe("the AppProject's clusterResourceWhitelist", () => {
  it('names every cluster-scoped kind an app deploys by group and kind: built-in ones Strata never listed, shipped, added and in-app CRDs', () => {
    const root = repoWithAddedCrd();
    const relay = [
      object('apps/v1', 'Deployment', 'relay', 'relay'),
      { ...object('node.k8s.io/v1', 'RuntimeClass', 'relay-gvisor'), handler: 'runsc' },
      { ...object('gateway.networking.k8s.io/v1', 'GatewayClass', 'relay-gw'), spec: { controllerName: 'example.com/gw' } },
      object('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'relay-policy'),
      object('storage.k8s.io/v1', 'CSIDriver', 'relay.csi.example.com'),
      object('apiregistration.k8s.io/v1', 'APIService', 'v1.relay.example.com'),
      object('cert-manager.io/v1', 'ClusterIssuer', 'relay-ca'),
      object('acme.io/v1', 'Gadget', 'relay-gadget'),
    ];
    // A vendor manifest brought in whole (strata import): its CRD and a cluster-scoped resource of it.
    const acme = [crd('acme.io', 'Widget', 'Cluster'), object('acme.io/v1', 'Widget', 'big'), object('v1', 'ConfigMap', 'acme-cfg', 'acme')];
    const built = (_env: string, app: string) => (app === 'relay' ? relay : acme);
    const files = planGitops(root, settings, ['acme', 'relay'], { built });
    for (const env of ENVIRONMENTS) {
      expect(whitelist(files, env)).toStrictEqual([
        { group: '', kind: 'Namespace' },
        { group: 'acme.io', kind: 'Gadget' },
        { group: 'acme.io', kind: 'Widget' },
        { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicy' },
        { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
        { group: 'apiregistration.k8s.io', kind: 'APIService' },
        { group: 'cert-manager.io', kind: 'ClusterIssuer' },
        { group: 'gateway.networking.k8s.io', kind: 'GatewayClass' },
        { group: 'node.k8s.io', kind: 'RuntimeClass' },
        { group: 'storage.k8s.io', kind: 'CSIDriver' },
      ]);
    }
  });

  it('goes by group, not by kind name: a namespaced custom Namespace or ClusterRole is no cluster-scoped kind, and counts in its namespace', () => {
    const objects = [
      crd('acme.io', 'Namespace', 'Namespaced'),
      crd('acme.io', 'ClusterRole', 'Namespaced'),
      object('acme.io/v1', 'Namespace', 'tenant', 'shop'),
      object('acme.io/v1', 'ClusterRole', 'reader', 'shop'),
      object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'shop-reader'),
    ];
    const plan = syncPlan('shop', objects);
    expect(plan.clusterKinds).toStrictEqual(['apiextensions.k8s.io/CustomResourceDefinition', 'rbac.authorization.k8s.io/ClusterRole']);
    // The destination is the namespace the namespaced objects name, which only the custom kinds do.
    expect(plan.namespace).toBe('shop');
    expect(plan.objects).toContain('acme.io/Namespace shop/tenant');
  });

  it('takes a kind whose scope nothing Strata has says for namespaced, as kustomize does, and leaves it out', () => {
    const plan = syncPlan('odd', [object('unknown.example.com/v1', 'Thing', 'one', 'odd')]);
    expect(plan.clusterKinds).toStrictEqual([]);
    expect(plan.objects).toStrictEqual(['unknown.example.com/Thing odd/one']);
  });
});
