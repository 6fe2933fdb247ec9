import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { findRoot, type Problem } from '@strata/project';
import { validate } from '../src/index.ts';

const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-namespaces-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A workspace holding only `files` (built output `dist/<env>/<app>.yaml`, or any other file) and strata.config.json. */
function workspace(files: Record<string, readonly object[]>, config?: object): string {
  const root = mkdtempSync(join(dir, 'ws-'));
  symlinkSync(join(repo, '.tools'), join(root, '.tools'));
  if (config) writeFileSync(join(root, 'strata.config.json'), JSON.stringify(config));
  for (const [path, objects] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  }
  return root;
}

const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const configMap = (name: string, ns?: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(ns ? { namespace: ns } : {}) },
  data: { a: 'b' },
});

/** The 1-based line of `namespace: <ns>` in `file`, after the line holding `after`. */
function lineOf(root: string, file: string, ns: string, after: string): number {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.includes(after));
  return lines.findIndex((l, i) => i >= start && l.trim() === `namespace: ${ns}`) + 1;
}

const missing = (r: { problems: readonly Problem[] }) => r.problems.filter((p) => p.rule === 'namespace-exists');
const judge = (root: string, inputs: readonly string[]) => validate(root, inputs, { policy: false, serverChecks: false });

describe('namespaces nothing in the env creates, in built output', () => {
  it('refuses an object in a namespace of a typo, where the app ships its own Namespace, at its metadata.namespace in the words of the cluster', async () => {
    const root = workspace({
      'dist/prod/gethrelay.yaml': [namespace('gethrelay'), configMap('torrc', 'gethrelay'), configMap('stray', 'gethrelay-typo')],
    });
    expect(missing(await judge(root, ['dist']))).toStrictEqual([
      {
        file: 'dist/prod/gethrelay.yaml',
        line: lineOf(root, 'dist/prod/gethrelay.yaml', 'gethrelay-typo', 'name: stray'),
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'gethrelay-typo',
        name: 'stray',
        path: 'metadata.namespace',
        message:
          'namespaces "gethrelay-typo" not found: nothing in prod creates it (no Namespace gethrelay-typo among the env\'s apps, and it is not the destination of ' +
          "gethrelay's Argo CD Application, gethrelay), so Argo CD's sync and kubectl apply -k overlays/prod/gethrelay stop at this object; correct the namespace, " +
          'add a Namespace gethrelay-typo to the app, or list it in kubernetes.namespaces of strata.config.json if the platform creates it',
        rule: 'namespace-exists',
        severity: 'error',
        resource: 'dist/prod/gethrelay.yaml#2',
      },
    ]);
  });

  it("takes the Application's destination (CreateNamespace=true), another app's Namespace of the same env and the namespaces of every cluster for created", async () => {
    const root = workspace({
      // No Namespace: Argo CD creates the destination, the namespace most objects name.
      'dist/dev/api.yaml': [configMap('a', 'shop'), configMap('b', 'shop'), configMap('c', 'shared'), configMap('d', 'kube-system'), configMap('e')],
      'dist/dev/platform.yaml': [namespace('shared')],
      // Another cluster: dev's Namespace shared is not staging's.
      'dist/staging/api.yaml': [configMap('a', 'shop'), configMap('b', 'shop'), configMap('c', 'shared')],
    });
    const found = missing(await judge(root, ['dist']));
    expect(found.map((p) => [p.file, p.name, p.message.slice(0, p.message.indexOf(':'))])).toStrictEqual([
      ['dist/staging/api.yaml', 'c', 'namespaces "shared" not found'],
    ]);
    // One app's output alone is judged beside the other apps of its env, read from dist/.
    expect(missing(await judge(root, ['dist/dev/api.yaml']))).toStrictEqual([]);
    expect(missing(await judge(root, ['dist/staging/api.yaml'])).map((p) => p.name)).toStrictEqual(['c']);
  });

  it('refuses a second namespace of an app that ships no Namespace: Argo CD creates the destination only', async () => {
    const root = workspace({ 'dist/dev/api.yaml': [configMap('a', 'shop'), configMap('b', 'shop'), configMap('c', 'shop-jobs')] });
    const found = missing(await judge(root, ['dist']));
    expect(found.map((p) => p.message.slice(0, p.message.indexOf(' so ')))).toStrictEqual([
      'namespaces "shop-jobs" not found: nothing in dev creates it (no Namespace shop-jobs among the env\'s apps, and it is not the destination of api\'s Argo CD Application, shop),',
    ]);
  });

  it("takes the Namespaces of the env's Flux folder for created where Flux applies the tree: one for each app's destination that no app ships", async () => {
    const gitops = { repoURL: 'https://git.example.com/x.git', targetRevision: 'main', consumer: 'flux' };
    const root = workspace(
      {
        // No Namespace: gitops/flux/dev/namespace.shop.yaml creates the destination; shop-jobs nothing does.
        'dist/dev/api.yaml': [configMap('a', 'shop'), configMap('b', 'shop'), configMap('c', 'shop-jobs')],
        // The Flux folder's Namespace for another app's destination counts as well.
        'dist/dev/worker.yaml': [configMap('a', 'jobs'), configMap('b', 'shop')],
      },
      { gitops },
    );
    const found = missing(await judge(root, ['dist']));
    expect(found.map((p) => `${p.file}: ${p.name}: ${p.message.slice(0, p.message.indexOf(' stop '))}`)).toStrictEqual([
      "dist/dev/api.yaml: c: namespaces \"shop-jobs\" not found: nothing in dev creates it (no Namespace shop-jobs among the env's apps, nor in gitops/flux/dev, which holds one for each app's destination (api's: shop)), so Flux's apply and kubectl apply -k overlays/dev/api",
    ]);
    // One app's output alone is judged beside the other apps of its env, read from dist/.
    expect(missing(await judge(root, ['dist/dev/worker.yaml']))).toStrictEqual([]);
    const owned = workspace({ 'dist/dev/api.yaml': [namespace('shop'), configMap('a', 'shop'), configMap('b', 'shop-jobs')] }, { gitops });
    expect(missing(await judge(owned, ['dist'])).map((p) => p.namespace)).toStrictEqual(['shop-jobs']);
  });

  it('takes the namespaces kubernetes.namespaces of strata.config.json lists as created by the platform, and refuses a setting that is no list of names', async () => {
    const files = { 'dist/dev/api.yaml': [configMap('a', 'shop'), configMap('b', 'shop'), configMap('c', 'monitoring')] };
    expect(missing(await judge(workspace(files), ['dist'])).map((p) => p.namespace)).toStrictEqual(['monitoring']);
    expect(missing(await judge(workspace(files, { kubernetes: { namespaces: ['monitoring'] } }), ['dist']))).toStrictEqual([]);
    await expect(judge(workspace(files, { kubernetes: { namespaces: 'monitoring' } }), ['dist'])).rejects.toThrow(
      'strata.config.json:1:16: kubernetes.namespaces: must list the namespaces the platform creates in every env\'s clusters, each a DNS-1123 label, such as ["monitoring"]; got "monitoring"',
    );
  });

  it('leaves cluster-scoped objects, objects Argo CD never applies and manifests applied by hand alone', async () => {
    const root = workspace({
      'dist/dev/api.yaml': [
        configMap('a', 'shop'),
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r', namespace: 'elsewhere' }, rules: [] },
        {
          ...configMap('skipped', 'elsewhere'),
          metadata: { name: 'skipped', namespace: 'elsewhere', annotations: { 'argocd.argoproj.io/hook': 'Skip' } },
        },
      ],
      // Third-party manifests: whoever applies them creates their namespace first (kubectl create namespace).
      'vendor/chart.yaml': [configMap('x', 'vendor-system')],
    });
    expect(missing(await judge(root, ['dist', 'vendor']))).toStrictEqual([]);
  });
});
