import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeTree } from '@strata/testing/temp';
import { repo } from './kustomize-trees.ts';

/**
 * Kustomizations that name something by URL through each field kustomize v5.8.1 fetches by (its
 * `loader.New` for bases, components and plugin entries, its `FileLoader.Load` for every file a
 * field loads), and a server on 127.0.0.1 that serves what they name and records each request: the
 * real kustomize is seen to fetch each, and strata to refuse each without a request.
 */

/** One field kustomize fetches by, in a tree whose kustomization.yaml names a URL of the server there. */
export interface RemoteCase {
  /** The field, as the refusal names it. */
  readonly field: string;
  /** The path on the server the entry names. */
  readonly served: string;
  /** The tree's files, the kustomization's URLs under `url`. */
  readonly files: (url: string) => Record<string, string>;
  /** The file of the tree that names the URL, and its line there. @default kustomization.yaml */
  readonly file?: string;
  readonly line: number;
  /** A base or resource (kustomize clones or fetches a tree), not one file a field loads. */
  readonly resource?: boolean;
  /** `kustomize build` flags the field needs to be read at all (Helm's, as Argo CD passes them). */
  readonly helm?: boolean;
}

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: b}\n';
/** A kustomization of cm.yaml (lines 1-2) followed by `rest`, beside cm.yaml. */
const withCm = (rest: string, more: Record<string, string> = {}) => ({
  'kustomization.yaml': `resources:\n- cm.yaml\n${rest}`,
  'cm.yaml': CM,
  ...more,
});

export const REMOTE_CASES: readonly RemoteCase[] = [
  { field: 'resources[1]', served: '/cm.yaml', line: 3, resource: true, files: (u) => withCm(`- ${u}/cm.yaml\n`) },
  {
    field: 'components[0]',
    served: '/repo.git/info/refs?service=git-upload-pack',
    line: 4,
    resource: true,
    files: (u) => withCm(`components:\n- ${u}/repo.git//component\n`),
  },
  { field: 'patches[0].path', served: '/patch.yaml', line: 4, files: (u) => withCm(`patches:\n- path: ${u}/patch.yaml\n`) },
  { field: 'patchesStrategicMerge[0]', served: '/patch.yaml', line: 4, files: (u) => withCm(`patchesStrategicMerge:\n- ${u}/patch.yaml\n`) },
  {
    field: 'patchesJson6902[0].path',
    served: '/ops.yaml',
    line: 5,
    files: (u) => withCm(`patchesJson6902:\n- target: {version: v1, kind: ConfigMap, name: cfg}\n  path: ${u}/ops.yaml\n`),
  },
  {
    field: 'configMapGenerator[0].files[0]',
    served: '/file.txt',
    line: 6,
    files: (u) => withCm(`configMapGenerator:\n- name: gen\n  files:\n  - key=${u}/file.txt\n`),
  },
  {
    field: 'configMapGenerator[0].envs[0]',
    served: '/env.txt',
    line: 6,
    files: (u) => withCm(`configMapGenerator:\n- name: gen\n  envs:\n  - ${u}/env.txt\n`),
  },
  { field: 'secretGenerator[0].env', served: '/env.txt', line: 5, files: (u) => withCm(`secretGenerator:\n- name: gen\n  env: ${u}/env.txt\n`) },
  { field: 'replacements[0].path', served: '/replacement.yaml', line: 4, files: (u) => withCm(`replacements:\n- path: ${u}/replacement.yaml\n`) },
  { field: 'generators[0]', served: '/generator.yaml', line: 4, files: (u) => withCm(`generators:\n- ${u}/generator.yaml\n`) },
  { field: 'transformers[0]', served: '/transformer.yaml', line: 4, files: (u) => withCm(`transformers:\n- ${u}/transformer.yaml\n`) },
  { field: 'validators[0]', served: '/transformer.yaml', line: 4, files: (u) => withCm(`validators:\n- ${u}/transformer.yaml\n`) },
  { field: 'configurations[0]', served: '/configuration.yaml', line: 4, files: (u) => withCm(`configurations:\n- ${u}/configuration.yaml\n`) },
  { field: 'crds[0]', served: '/crd.json', line: 4, files: (u) => withCm(`crds:\n- ${u}/crd.json\n`) },
  { field: 'openapi.path', served: '/openapi.json', line: 4, files: (u) => withCm(`openapi:\n  path: ${u}/openapi.json\n`) },
  {
    field: 'helmCharts[0].valuesFile',
    served: '/values.yaml',
    line: 5,
    helm: true,
    files: (u) => withCm(`helmCharts:\n- name: demo\n  valuesFile: ${u}/values.yaml\n`, { 'charts/demo/Chart.yaml': 'name: demo\n' }),
  },
  {
    field: 'helmCharts[0].additionalValuesFiles[0]',
    served: '/values.yaml',
    line: 6,
    helm: true,
    files: (u) => withCm(`helmCharts:\n- name: demo\n  additionalValuesFiles:\n  - ${u}/values.yaml\n`, { 'charts/demo/Chart.yaml': 'name: demo\n' }),
  },
  {
    field: 'helmChartInflationGenerator[0].values',
    served: '/values.yaml',
    line: 5,
    helm: true,
    files: (u) =>
      withCm(`helmChartInflationGenerator:\n- chartName: demo\n  values: ${u}/values.yaml\n`, { 'charts/demo/Chart.yaml': 'name: demo\n' }),
  },
  {
    field: 'transformers[0]: PatchTransformer path',
    served: '/patch.yaml',
    line: 4,
    files: (u) => withCm(`transformers:\n- |\n  apiVersion: builtin\n  kind: PatchTransformer\n  metadata: {name: p}\n  path: ${u}/patch.yaml\n`),
  },
  {
    field: 'ConfigMapGenerator envs[0]',
    file: 'gen/generator.yaml',
    served: '/env.txt',
    line: 5,
    files: (u) =>
      withCm('generators:\n- gen\n', {
        'gen/kustomization.yaml': 'resources:\n- generator.yaml\n',
        'gen/generator.yaml': `apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: gen}\nenvs:\n- ${u}/env.txt\n`,
      }),
  },
  {
    field: 'patches[0].path',
    file: 'base/kustomization.yaml',
    served: '/patch.yaml',
    line: 4,
    files: (u) => ({
      'kustomization.yaml': 'resources:\n- base\n',
      'base/kustomization.yaml': `resources:\n- cm.yaml\npatches:\n- path: ${u}/patch.yaml\n`,
      'base/cm.yaml': CM,
    }),
  },
];

/** What the server serves, by path: enough of each for kustomize to read it as the field it is named by. */
const SERVED: Record<string, string> = {
  '/cm.yaml': CM.replace('cfg', 'fetched'),
  '/patch.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {injected: "yes"}\n',
  '/ops.yaml': '- op: add\n  path: /data/injected\n  value: "yes"\n',
  '/file.txt': 'injected\n',
  '/env.txt': 'INJECTED=yes\n',
  '/replacement.yaml':
    'source: {kind: ConfigMap, name: cfg, fieldPath: data.a}\ntargets:\n- select: {kind: ConfigMap}\n  fieldPaths: [data.injected]\n  options: {create: true}\n',
  '/generator.yaml': 'apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: injected}\nliterals: [injected=yes]\n',
  '/transformer.yaml':
    'apiVersion: builtin\nkind: AnnotationsTransformer\nmetadata: {name: injected}\nannotations: {injected: "yes"}\nfieldSpecs: [{path: metadata/annotations, create: true}]\n',
  '/configuration.yaml': 'nameReference: []\n',
  '/crd.json': '{}\n',
  '/openapi.json': '{"definitions": {}}\n',
  '/values.yaml': 'injected: yes\n',
};

/** A server on 127.0.0.1 with the paths a kustomization of {@link REMOTE_CASES} names, and the requests it had. */
export async function remoteServer(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = SERVED[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain' });
    res.end(body ?? 'not found\n');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((done) => server.close(() => done())) };
}

/** A tree of `c` in `dir`, its URLs under `url`. */
export const remoteTree = (dir: string, c: RemoteCase, url: string): string => writeTree(dir, c.files(url));

/**
 * `kustomize build <dir>` with the checkout's pinned kustomize, run apart so that the server of this
 * process answers it; with Helm on for a Helm case (as Argo CD's --enable-helm), a stand-in helm
 * that gives its version being all kustomize asks of it before it loads the values files.
 */
export async function realKustomizeBuild(dir: string, c: RemoteCase): Promise<{ status: number | null; stderr: string }> {
  const args = ['build', dir];
  if (c.helm) {
    const helm = writeTree(dir, { '.helm': '#!/bin/sh\necho v3.16.0\n' });
    chmodSync(join(helm, '.helm'), 0o755);
    args.push('--enable-helm', '--helm-command', join(helm, '.helm'));
  }
  const child = spawn(join(repo, '.tools', 'bin', 'kustomize'), args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const status = await new Promise<number | null>((done) => child.on('close', done));
  return { status, stderr };
}
