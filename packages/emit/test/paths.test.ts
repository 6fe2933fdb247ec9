import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { defineApp, type App, type Manifest } from '@strata/core';
import { planApp, schemaMergeKeys } from '../src/index.ts';

const valid = defineApp<{ n: number }>({
  name: 'evil',
  defaults: { n: 1 },
  envs: { dev: {}, staging: {}, prod: {} },
  render: () => [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' } }],
});

/** An app shaped by hand, past defineApp's and the models' checks: the plan must still hold the line. */
const forged = (objects: Manifest[]): App<{ n: number }> => ({ ...valid, manifests: () => structuredClone(objects) });

/** The app's planned files written under `root`, as generate would write them. */
function writePlan(root: string, app: App<{ n: number }>): void {
  for (const [path, content] of planApp(app, schemaMergeKeys).files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

describe("planned paths stay inside the app's own folders", () => {
  it("refuses an object whose name resolves into another app's folder", () => {
    const app = forged([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x/../../tensafe/deployment.tensafe' } }]);
    expect(() => planApp(app, schemaMergeKeys)).toThrow(
      /^app evil: "base\/evil\/deployment\.x\/\.\.\/\.\.\/tensafe\/deployment\.tensafe\.yaml" lies outside the app's own folders/,
    );
  });

  it('refuses a kind that walks out of the repository', () => {
    const app = forged([{ apiVersion: 'v1', kind: '../../../../tmp/x', metadata: { name: 'y' } }]);
    expect(() => planApp(app, schemaMergeKeys)).toThrow(/lies outside the app's own folders base\/evil\/ and overlays\/<env>\/evil\//);
  });

  it('refuses a component name before it becomes a folder whose files would be removed as stale', () => {
    const app = { ...valid, components: { '../../tensafe': { description: 'x', overrides: { n: 2 } } } } as unknown as App<{ n: number }>;
    expect(() => planApp(app, schemaMergeKeys)).toThrow(/^app evil: components\["\.\.\/\.\.\/tensafe"\]: a component name must be a DNS-1123 label/);
  });

  it('plans a well-named app as before', () => {
    expect([...planApp(valid, schemaMergeKeys).files.keys()]).toContain('base/evil/configmap.ok.yaml');
  });
});

describe('planned file names check out on every system', () => {
  it('writes the characters Windows refuses in a name as %XX, and keeps every other name as it is', () => {
    const names = ['system:aggregate-to-view', 'line\nbreak *?<>|\\ :"x', 'plain-name.v2', 'Mixed_Case'];
    const app = forged(names.map((name) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } })));
    const files = [...planApp(app, schemaMergeKeys).files.keys()].filter((f) => f.startsWith('base/evil/clusterrole.'));
    expect(files.sort()).toStrictEqual([
      'base/evil/clusterrole.Mixed_Case.yaml',
      'base/evil/clusterrole.line%0Abreak %2A%3F%3C%3E%7C%5C %3A%22x.yaml',
      'base/evil/clusterrole.plain-name.v2.yaml',
      'base/evil/clusterrole.system%3Aaggregate-to-view.yaml',
    ]);
  });

  it("never names a file like the writers' temporary files (*.strata-tmp*, which every workspace ignores), in any case", () => {
    const names = ['cache.strata-tmp', 'strata-tmp-1', 'A.STRATA-TMP.b', 'my-strata-tmp', 'x.strata-tmp.strata-tmp'];
    const app = forged(names.map((name) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } })));
    const files = [...planApp(app, schemaMergeKeys).files.keys()].filter((f) => f.startsWith('base/evil/clusterrole.'));
    expect(files.sort()).toStrictEqual([
      'base/evil/clusterrole.A.STRATA%2DTMP.b.yaml',
      'base/evil/clusterrole.cache.strata%2Dtmp.yaml',
      // Not after a dot: nothing to match.
      'base/evil/clusterrole.my-strata-tmp.yaml',
      'base/evil/clusterrole.strata%2Dtmp-1.yaml',
      'base/evil/clusterrole.x.strata%2Dtmp.strata%2Dtmp.yaml',
    ]);
    // Cut short within the mark: %2D stays whole, as every %XX does.
    const long = forged([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${'a'.repeat(212)}.strata-tmp${'b'.repeat(30)}` } }]);
    const [cut] = [...planApp(long, schemaMergeKeys).files.keys()].filter((f) => f.startsWith('base/evil/configmap.'));
    expect(cut).toMatch(/^base\/evil\/configmap\.a{212}\.strata%2D%~[0-9a-f]{16}\.yaml$/);
  });

  it('builds such files with the real kustomize to the objects with their own names', async () => {
    const names = ['system:aggregate-to-view', 'line\nbreak *?<>|\\ :"x', '100%', 'cache.strata-tmp'];
    const app = forged(names.map((name) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } })));
    const root = mkdtempSync(join(tmpdir(), 'strata-names-'));
    try {
      writePlan(root, app);
      const [result] = await buildOverlays(root, ['overlays/prod/evil']);
      expect(result!.error).toBeUndefined();
      expect(
        parseBuild(result!.yaml, result!.overlay)
          .map((m) => m.metadata.name)
          .sort(),
      ).toStrictEqual([...names].sort());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses two objects whose files differ only in case, which one checkout on macOS or Windows would merge', () => {
    const app = forged(['Viewer', 'viewer'].map((name) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } })));
    expect(() => planApp(app, schemaMergeKeys)).toThrow(
      /^base\/evil\/clusterrole\.viewer\.yaml: two objects map to files whose names differ only in case \(base\/evil\/clusterrole\.Viewer\.yaml\), which collide on macOS and Windows; rename one$/,
    );
  });

  it('refuses two objects whose names differ only under Unicode case folding, which APFS and NTFS take for one file', () => {
    const role = (name: string) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: 'shop' } });
    // Micro sign and Greek mu, final and other sigma, long s and s, Kelvin sign and k, capital and small sharp s and ss:
    // each pair is one entry of Unicode's CaseFolding.txt, and lower case alone leaves them apart.
    const pairs = [
      ['reader-\u00b5', 'reader-\u03bc'],
      ['reader-\u03c2', 'reader-\u03c3'],
      ['reader-\u017f', 'reader-s'],
      ['reader-\u212a', 'reader-k'],
      ['reader-\u1e9e', 'reader-\u00df'],
      ['reader-\u00df', 'reader-ss'],
    ];
    for (const [a, b] of pairs) {
      expect(() => planApp(forged([role(a!), role(b!)]), schemaMergeKeys)).toThrow(
        `base/evil/role.${b}.yaml: two objects map to files whose names differ only in case (base/evil/role.${a}.yaml), which collide on macOS and Windows; rename one`,
      );
    }
    // Decomposed and in another case at once.
    expect(() => planApp(forged([role('\u00b5-caf\u00e9'), role('\u03bc-CAFE\u0301')]), schemaMergeKeys)).toThrow(
      /differ only in case and Unicode normalization .*, which collide on macOS; rename one$/,
    );
    // Names that fold apart stay apart.
    expect([...planApp(forged([role('reader-\u03bc'), role('reader-m')]), schemaMergeKeys).files.keys()]).toEqual(
      expect.arrayContaining(['base/evil/role.reader-\u03bc.yaml', 'base/evil/role.reader-m.yaml']),
    );
  });

  it('refuses two objects whose names are the composed and decomposed forms of the same characters, which macOS takes for one file', () => {
    const [nfc, nfd] = ['caf\u00e9', 'cafe\u0301'];
    const app = forged([nfc, nfd].map((name) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } })));
    expect(() => planApp(app, schemaMergeKeys)).toThrow(
      `base/evil/clusterrole.${nfd}.yaml: two objects map to files whose names differ only in Unicode normalization (composed and decomposed forms of the same characters) (base/evil/clusterrole.${nfc}.yaml), which collide on macOS; rename one`,
    );
    const mixed = forged(['Caf\u00e9', nfd].map((name) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } })));
    expect(() => planApp(mixed, schemaMergeKeys)).toThrow(/differ only in case and Unicode normalization .*, which collide on macOS; rename one$/);
    // Each alone is planned as it is written.
    expect([
      ...planApp(
        forged([{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: nfd } }]),
        schemaMergeKeys,
      ).files.keys(),
    ]).toContain(`base/evil/clusterrole.${nfd}.yaml`);
  });
});

describe('file names of long object names stay within 255 bytes', () => {
  // Legal names: a DNS subdomain of 253 characters, and RBAC names, which have no length limit.
  const subdomain = (last: string) => `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${last}`;
  const long = subdomain('d'.repeat(61));
  const sibling = subdomain('d'.repeat(60) + 'e');
  const rbac = `system:${'é'.repeat(200)}`;
  const configMap = (name: string, data: Record<string, string>): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
  const clusterRole = (name: string): Manifest => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } });
  /** The objects, and in prod each ConfigMap changed: a patch file named after it. */
  const app: App<{ n: number }> = {
    ...valid,
    manifests: (env) => [
      configMap(long, { v: env === 'prod' ? 'prod' : 'any' }),
      configMap(sibling, { v: env === 'prod' ? 'prod' : 'any' }),
      configMap('short', { v: 'any' }),
      clusterRole(rbac),
    ],
  };
  const bytes = (path: string) => Buffer.byteLength(path.slice(path.lastIndexOf('/') + 1).normalize('NFD'));

  it('cuts a name short and ends it in %~ and a hash of the whole name, the same in every plan, one file per object', () => {
    const files = [...planApp(app, schemaMergeKeys).files.keys()];
    expect(Math.max(...files.map(bytes))).toBeLessThanOrEqual(255);
    const hash = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 16);
    const resource = `configmap.${long.slice(0, 255 - 'configmap.'.length - '%~'.length - 16 - '.yaml'.length)}%~${hash(long)}.yaml`;
    const patch = `configmap.${long.slice(0, 255 - 'configmap.'.length - '%~'.length - 16 - '.patch.yaml'.length)}%~${hash(long)}.patch.yaml`;
    expect(files).toContain(`base/evil/${resource}`);
    expect(files).toContain(`overlays/prod/evil/${patch}`);
    expect(bytes(resource)).toBe(255);
    expect(bytes(patch)).toBe(255);
    // The sibling shares the first 252 characters and still has files of its own.
    expect(files.filter((f) => f.includes(hash(sibling)))).toHaveLength(2);
    expect(files).toContain('base/evil/configmap.short.yaml');
    // Whole characters, the name's : as %3A: the name as far as it goes, never half a character.
    const role = files.find((f) => f.startsWith('base/evil/clusterrole.'))!;
    expect(role).toMatch(/^base\/evil\/clusterrole\.system%3Aé+%~[0-9a-f]{16}\.yaml$/);
    expect([...planApp(app, schemaMergeKeys).files.keys()]).toStrictEqual(files);
  });

  it('builds with the real kustomize to the objects with their whole names, the patch applied', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-names-'));
    try {
      writePlan(root, app);
      const [result] = await buildOverlays(root, ['overlays/prod/evil']);
      expect(result!.error).toBeUndefined();
      const built = parseBuild(result!.yaml, result!.overlay);
      expect(built.map((m) => m.metadata.name).sort()).toStrictEqual([long, sibling, 'short', rbac].sort());
      expect(built.filter((m) => m.kind === 'ConfigMap').map((m) => (m as Manifest & { data: { v: string } }).data.v)).toStrictEqual([
        'prod',
        'prod',
        'any',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// kubectl, kustomize and Argo CD tell objects apart by group, kind, namespace and name: an app may
// hold one kind and name in two namespaces (the same RoleBinding in each namespace it spans) or in
// two API groups (two Gateway kinds). Those files are named apart; every other keeps its name.
describe('objects of one kind and name in two namespaces or API groups', () => {
  const appOf = (objects: (env?: string) => Manifest[]): App<{ n: number }> => ({
    ...valid,
    manifests: (env?: string) => structuredClone(objects(env)),
  });
  const binding = (namespace: string): Manifest =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'ops' }],
    }) as Manifest;
  const config = (namespace: string, v: string): Manifest =>
    ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace },
      data: { v },
    }) as Manifest;

  async function built(app: App<{ n: number }>, overlay = 'overlays/prod/evil'): Promise<Manifest[]> {
    const root = mkdtempSync(join(tmpdir(), 'strata-names-'));
    try {
      writePlan(root, app);
      const [result] = await buildOverlays(root, [overlay]);
      expect(result!.error).toBeUndefined();
      return parseBuild(result!.yaml, result!.overlay);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  it('names each file with its namespace, patches too, and builds with the real kustomize to both objects', async () => {
    const app = appOf((env) => [
      binding('team-a'),
      binding('team-b'),
      config('team-a', env ?? 'any'),
      config('team-b', env ?? 'any'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok', namespace: 'team-a' } },
    ]);
    const files = [...planApp(app, schemaMergeKeys).files.keys()];
    expect(files.filter((f) => f.startsWith('base/')).sort()).toStrictEqual([
      'base/evil/configmap.ok.yaml',
      'base/evil/configmap@team-a.cfg.yaml',
      'base/evil/configmap@team-b.cfg.yaml',
      'base/evil/kustomization.yaml',
      'base/evil/rolebinding@team-a.reader.yaml',
      'base/evil/rolebinding@team-b.reader.yaml',
    ]);
    expect(files.filter((f) => f.startsWith('overlays/prod/')).sort()).toStrictEqual([
      'overlays/prod/evil/configmap@team-a.cfg.patch.yaml',
      'overlays/prod/evil/configmap@team-b.cfg.patch.yaml',
      'overlays/prod/evil/kustomization.yaml',
    ]);
    const objects = await built(app);
    expect(objects.map((m) => `${m.kind} ${m.metadata.namespace}/${m.metadata.name}`).sort()).toStrictEqual([
      'ConfigMap team-a/cfg',
      'ConfigMap team-a/ok',
      'ConfigMap team-b/cfg',
      'RoleBinding team-a/reader',
      'RoleBinding team-b/reader',
    ]);
    expect(objects.filter((m) => m.metadata.name === 'cfg').map((m) => (m as Manifest & { data: { v: string } }).data.v)).toStrictEqual([
      'prod',
      'prod',
    ]);
  });

  it('names each file with its namespace and group when the groups differ', async () => {
    const gateway = (apiVersion: string): Manifest => ({ apiVersion, kind: 'Gateway', metadata: { name: 'web', namespace: 'infra' } });
    const app = appOf(() => [gateway('networking.istio.io/v1beta1'), gateway('gateway.networking.k8s.io/v1')]);
    expect([...planApp(app, schemaMergeKeys).files.keys()].filter((f) => f.startsWith('base/')).sort()).toStrictEqual([
      'base/evil/gateway@infra@gateway_networking_k8s_io.web.yaml',
      'base/evil/gateway@infra@networking_istio_io.web.yaml',
      'base/evil/kustomization.yaml',
    ]);
    expect((await built(app)).map((m) => m.apiVersion).sort()).toStrictEqual(['gateway.networking.k8s.io/v1', 'networking.istio.io/v1beta1']);
  });

  it('refuses two objects that are one to kubectl, naming both and the app', () => {
    const app = appOf(() => [binding('team-a'), { ...binding('team-a'), apiVersion: 'rbac.authorization.k8s.io/v1beta1' }]);
    expect(() => planApp(app, schemaMergeKeys)).toThrow(
      'app evil: rbac.authorization.k8s.io/v1/RoleBinding team-a/reader and rbac.authorization.k8s.io/v1beta1/RoleBinding team-a/reader are one object to kubectl, kustomize and Argo CD (the same API group, kind, namespace and name); keep one, or give them distinct names or namespaces',
    );
  });
});
