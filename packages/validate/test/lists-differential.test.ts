import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { builtinKinds } from '@strata/schemas';
import { ensureServers, startServer, verifyDocuments, type Server } from '@strata/verify';
import { BUILD_TIMEOUT } from '../../verify/test/helpers.ts';
import { parseInputs, validate } from '../src/index.ts';

/**
 * Lists and apiVersions as kubectl 1.36 reads them (k8s.io/cli-runtime's builder): the list's own
 * apiVersion is parsed and its kind REST-mapped from the server's discovery before its items are
 * flattened, and a `<Kind>List` other than v1 List is validated against its schema (ListMeta
 * metadata). Each case's `kubectl` column is what kubectl 1.36.3 said of the file, applied with
 * server-side dry run to this project's kube-apiserver v1.36.3 with the cert-manager Certificate CRD
 * installed; the REST mapper it used is the server's discovery, checked against Strata's table below.
 */
const repo = findRoot(import.meta.dirname);

const cm = (name: string, indent = '') =>
  ['- apiVersion: v1', '  kind: ConfigMap', '  metadata:', `    name: ${name}`, '    namespace: default', '  data:', '    a: "1"']
    .map((l) => indent + l)
    .join('\n');
const list = (head: string, items: string) => `${head}\nitems:\n${items}\n`;
const cert = (name: string) =>
  `- apiVersion: cert-manager.io/v1\n  kind: Certificate\n  metadata: {name: ${name}, namespace: default}\n  spec: {secretName: ${name}, issuerRef: {name: i}, dnsNames: [a.example.com]}`;

interface Case {
  readonly text: string;
  /** kubectl's verdict: the objects it applied, or its words (a part of them) when it refused the file. */
  readonly kubectl: { readonly applied: readonly string[] } | { readonly refused: string };
  /** Where Strata says so: the line, and the field. */
  readonly at?: readonly [number, string];
  /** Strata's words where it says more than kubectl's (a decoding error, made to name the field). */
  readonly ours?: string;
}

const CASES: Record<string, Case> = {
  'v1-foolist': {
    text: list('apiVersion: v1\nkind: FooList', cm('foo1')),
    kubectl: { refused: 'no matches for kind "FooList" in version "v1"' },
    at: [2, 'kind'],
  },
  'crd-missing-thinglist': {
    text: list('apiVersion: foo.example.com/v1\nkind: ThingList', cm('thing1')),
    kubectl: { refused: 'no matches for kind "ThingList" in version "foo.example.com/v1"; ensure CRDs are installed first' },
    at: [2, 'kind'],
  },
  'configmaplist-name': {
    text: list('apiVersion: v1\nkind: ConfigMapList\nmetadata: {name: foo}', cm('cml1')),
    kubectl: { refused: 'ValidationError(ConfigMapList.metadata): unknown field "name" in io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta' },
    at: [3, 'metadata.name'],
  },
  'v1-list': { text: list('apiVersion: v1\nkind: List', cm('list1')), kubectl: { applied: ['list1'] } },
  'v1-list-object-meta': {
    text: list('apiVersion: v1\nkind: List\nmetadata: {name: foo, labels: {a: b}}', cm('list2')),
    kubectl: { applied: ['list2'] },
  },
  'configmaplist-listmeta': {
    text: list(
      'apiVersion: v1\nkind: ConfigMapList\nmetadata: {resourceVersion: "12", continue: x, remainingItemCount: 3, selfLink: /x}',
      cm('cml2'),
    ),
    kubectl: { applied: ['cml2'] },
  },
  'apps-list': { text: list('apiVersion: apps/v1\nkind: List', cm('appslist1')), kubectl: { applied: ['appslist1'] } },
  'apps-configmaplist': {
    text: list('apiVersion: apps/v1\nkind: ConfigMapList', cm('appscml')),
    kubectl: { refused: 'no matches for kind "ConfigMapList" in version "apps/v1"' },
    at: [2, 'kind'],
  },
  'v1-deploymentlist': {
    text: list('apiVersion: v1\nkind: DeploymentList', cm('v1deplist')),
    kubectl: { refused: 'no matches for kind "DeploymentList" in version "v1"' },
    at: [2, 'kind'],
  },
  'crd-certificatelist': { text: list('apiVersion: cert-manager.io/v1\nkind: CertificateList', cert('c1')), kubectl: { applied: ['c1'] } },
  'crd-certificatelist-name': {
    text: list('apiVersion: cert-manager.io/v1\nkind: CertificateList\nmetadata: {name: x}', cert('c2')),
    kubectl: { refused: 'ValidationError(CertificateList.metadata): unknown field "name" in io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta' },
    at: [3, 'metadata.name'],
  },
  'nested-list': {
    text: list('apiVersion: v1\nkind: List', `- apiVersion: v1\n  kind: List\n  items:\n${cm('nested1', '  ')}`),
    kubectl: { refused: '*unstructured.Unstructured is not a list: no Items field in this object' },
    at: [4, 'items'],
  },
  'nested-foolist': {
    text: list('apiVersion: v1\nkind: List', `- apiVersion: v1\n  kind: FooList\n  items:\n${cm('nested2', '  ')}`),
    kubectl: { refused: '*unstructured.Unstructured is not a list: no Items field in this object' },
    at: [4, 'items'],
  },
  'v1-foolist-empty': {
    text: 'apiVersion: v1\nkind: FooList\nitems: []\n',
    kubectl: { refused: 'no matches for kind "FooList" in version "v1"' },
    at: [2, 'kind'],
  },
  'configmaplist-plain': { text: list('apiVersion: v1\nkind: ConfigMapList', cm('cml3')), kubectl: { applied: ['cml3'] } },
  'configmaplist-extra-field': {
    text: list('apiVersion: v1\nkind: ConfigMapList\nspec: {}', cm('cml4')),
    kubectl: { refused: 'ValidationError(ConfigMapList): unknown field "spec"' },
    at: [3, 'spec'],
  },
  'configmaplist-resourceversion-number': {
    text: list('apiVersion: v1\nkind: ConfigMapList\nmetadata: {resourceVersion: 12}', cm('cml5')),
    kubectl: { refused: 'cannot unmarshal number into Go struct field ObjectMeta.metadata.resourceVersion of type string' },
  },
  'configmap-with-items': { text: list('apiVersion: v1\nkind: ConfigMap', cm('cmitems')), kubectl: { applied: ['cmitems'] } },
  'lowercase-list-kind': {
    text: list('apiVersion: v1\nkind: configmaplist', cm('lowerlist')),
    kubectl: { refused: 'no matches for kind "configmaplist" in version "v1"' },
    at: [2, 'kind'],
  },
  'list-apiversion-extra': {
    text: list('apiVersion: apps/v1/extra\nkind: List', cm('extralist')),
    kubectl: { refused: 'unexpected GroupVersion string: apps/v1/extra' },
    at: [1, 'apiVersion'],
  },
  'list-slash-v1': { text: list('apiVersion: /v1\nkind: List', cm('slashlist')), kubectl: { applied: ['slashlist'] } },
  'slash-v1': { text: 'apiVersion: /v1\nkind: ConfigMap\nmetadata:\n  name: slash\n  namespace: default\n', kubectl: { applied: ['slash'] } },
  'apiversion-extra': {
    text: 'apiVersion: apps/v1/extra\nkind: Deployment\nmetadata:\n  name: extra\n  namespace: default\n',
    kubectl: { refused: 'unexpected GroupVersion string: apps/v1/extra' },
    at: [1, 'apiVersion'],
  },
  'labels-y': {
    text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-y\n  namespace: default\n  labels: {tier: y}\n',
    kubectl: { refused: 'cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string' },
    at: [6, 'metadata.labels.tier'],
    ours: 'a bool where kubectl expects a string (kubectl reads an unquoted y as a boolean; quote it: "y")',
  },
  'item-apiversion-extra': {
    text: list('apiVersion: v1\nkind: List', '- apiVersion: a/b/c\n  kind: ConfigMap\n  metadata: {name: abc, namespace: default}'),
    kubectl: { refused: 'unexpected GroupVersion string: a/b/c' },
    at: [4, 'apiVersion'],
  },
  'configmaplist-name-empty': {
    text: 'apiVersion: v1\nkind: ConfigMapList\nmetadata: {name: a}\nitems: []\n',
    kubectl: { refused: 'ValidationError(ConfigMapList.metadata): unknown field "name"' },
    at: [3, 'metadata.name'],
  },
  rolelist: {
    text: list(
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleList\nmetadata: {resourceVersion: "1"}',
      '- apiVersion: rbac.authorization.k8s.io/v1\n  kind: Role\n  metadata: {name: r1, namespace: default}\n  rules: []',
    ),
    kubectl: { applied: ['r1'] },
  },
  bindinglist: { text: list('apiVersion: v1\nkind: BindingList', cm('bindinglist')), kubectl: { applied: ['bindinglist'] } },
  // A typed list's items are validated as its element kind, whatever kind they are: one that does
  // not fit refuses the list; one that fits is applied as what it is. BindingList has no schema.
  'deploymentlist-configmap': {
    text: list('apiVersion: apps/v1\nkind: DeploymentList', cm('depcm')),
    kubectl: { refused: 'ValidationError(DeploymentList.items[0]): unknown field "data" in io.k8s.api.apps.v1.Deployment' },
    at: [9, 'items[0].data'],
  },
  'podlist-service': {
    text: list(
      'apiVersion: v1\nkind: PodList',
      '- apiVersion: v1\n  kind: Service\n  metadata: {name: podsvc, namespace: default}\n  spec: {type: ClusterIP}',
    ),
    kubectl: { refused: 'ValidationError(PodList.items[0].spec): missing required field "containers" in io.k8s.api.core.v1.PodSpec' },
    at: [7, 'items[0].spec'],
  },
  'secretlist-configmap-immutable': {
    text: list('apiVersion: v1\nkind: SecretList', `${cm('immcm')}\n  immutable: "yes"`),
    kubectl: {
      refused:
        'ValidationError(SecretList.items[0].immutable): invalid type for io.k8s.api.core.v1.Secret.immutable: got "string", expected "boolean"',
    },
    at: [11, 'items[0].immutable'],
  },
  'secretlist-configmap': { text: list('apiVersion: v1\nkind: SecretList', cm('secretcm')), kubectl: { applied: ['secretcm'] } },
  // A custom resource's list is published by its CRD with its items as the kind's schema; kubectl
  // (1.32.4, against this project's kube-apiserver with the Certificate CRD installed) validates
  // them as it does a built-in list's, in the same words.
  'certificatelist-configmap': {
    text: list('apiVersion: cert-manager.io/v1\nkind: CertificateList', cm('certcm')),
    kubectl: { refused: 'ValidationError(CertificateList.items[0]): unknown field "data" in io.cert-manager.v1.Certificate' },
    at: [9, 'items[0].data'],
  },
  'certificatelist-configmap-fits': {
    text: list(
      'apiVersion: cert-manager.io/v1\nkind: CertificateList',
      '- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: certfit, namespace: default}',
    ),
    kubectl: { applied: ['certfit'] },
  },
  'crd-group-list': { text: list('apiVersion: cert-manager.io/v1\nkind: List', cm('certlist')), kubectl: { applied: ['certlist'] } },
  'missing-group-list': {
    text: list('apiVersion: foo.example.com/v1\nkind: List', cm('foogrouplist')),
    kubectl: { refused: 'no matches for kind "List" in version "foo.example.com/v1"' },
    at: [2, 'kind'],
  },
  'json-foolist': {
    text: '{"apiVersion":"v1","kind":"FooList","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"jsonfoo","namespace":"default"}}]}\n',
    kubectl: { refused: 'no matches for kind "FooList" in version "v1"' },
    at: [1, 'kind'],
  },
  'annotation-number': {
    text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-num\n  namespace: default\n  annotations: {n: 5}\n',
    kubectl: { refused: 'cannot unmarshal number into Go struct field ObjectMeta.metadata.annotations of type string' },
    at: [6, 'metadata.annotations.n'],
    ours: 'a number where kubectl expects a string',
  },
};

let server: Server;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-lists-'));
  for (const [name, c] of Object.entries(CASES)) writeFileSync(join(dir, `${name}.yaml`), c.text);
  server = await startServer(await ensureServers());
}, BUILD_TIMEOUT);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('lists and apiVersions, offline and on the real API server', () => {
  it(
    "maps a list's kind from the kinds the server's discovery serves, as kubectl's REST mapper does",
    async () => {
      const { client } = server;
      const versions: string[] = ((await client.request('GET', '/api')).body as { versions: string[] }).versions;
      const groups = ((await client.request('GET', '/apis')).body as { groups: { versions: { groupVersion: string }[] }[] }).groups;
      const all = [...versions, ...groups.flatMap((g) => g.versions.map((v) => v.groupVersion))];
      const served = builtinKinds('1.36.0');
      const discovered = new Map<string, string[]>();
      for (const gv of all) {
        const r = await client.request('GET', gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`);
        const kinds = (r.body as { resources: { name: string; kind: string }[] }).resources.filter((x) => !x.name.includes('/')).map((x) => x.kind);
        discovered.set(gv, [...new Set(kinds)].sort());
      }
      // A prerelease API is served only where a cluster enables it (this server enables none): Strata
      // maps its lists too. Every other apiVersion serves exactly the kinds it serves here.
      const prerelease = (gv: string) => /\/v\d+(alpha|beta)\d+$/.test(gv);
      const ours = Object.fromEntries(
        [...served].filter(([gv]) => discovered.has(gv) || !prerelease(gv)).map(([gv, kinds]) => [gv, [...kinds].sort()]),
      );
      const theirs = Object.fromEntries([...discovered].filter(([, kinds]) => kinds.length > 0));
      expect(Object.keys(ours).sort()).toStrictEqual(Object.keys(theirs).sort());
      for (const gv of Object.keys(theirs)) expect(ours[gv], gv).toStrictEqual(theirs[gv]);
      expect([...served.keys()].filter(prerelease).length).toBeGreaterThan(0);
    },
    BUILD_TIMEOUT,
  );

  it.each(Object.keys(CASES))(
    '%s: refused exactly when kubectl refuses it, in its words, and its items judged by the server as kubectl applied them',
    async (name) => {
      const c = CASES[name]!;
      const file = join(dir, `${name}.yaml`);
      const r = await validate(repo, [file], { policy: false });
      const errors = r.problems.filter((p) => p.severity === 'error');
      if ('refused' in c.kubectl) {
        expect(errors.length, JSON.stringify(r.problems)).toBeGreaterThan(0);
        const words = c.ours ?? c.kubectl.refused;
        if (c.at) {
          // kubectl's words, in one line that names the object or the list, at its field.
          const said = errors.find((p) => p.message.includes(words));
          expect(said, JSON.stringify(errors)).toBeDefined();
          expect([said!.line, said!.path]).toStrictEqual([...c.at]);
          expect(said!.kind).toBeDefined();
          expect(said!.message).not.toContain('\n');
        }
      } else {
        expect(errors, JSON.stringify(errors)).toStrictEqual([]);
        const parsed = await parseInputs(repo, [file]);
        expect(parsed.docs.map((d) => d.manifest.metadata.name)).toStrictEqual(c.kubectl.applied);
        const real = await verifyDocuments(parsed.docs, { server, root: repo });
        expect(real.problems.filter((p) => p.severity === 'error')).toStrictEqual([]);
      }
    },
    BUILD_TIMEOUT,
  );

  it('has cases kubectl applies and cases it refuses', () => {
    const refused = Object.values(CASES).filter((c) => 'refused' in c.kubectl).length;
    expect(refused).toBeGreaterThan(10);
    expect(Object.keys(CASES).length - refused).toBeGreaterThan(8);
  });
});
