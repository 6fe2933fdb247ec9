import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot, UsageError } from '@strata/project';
import { THREE_CONFIG_MAPS } from '@strata/testing/manifests';
import { ensureServers, startServer, type Server } from '@strata/verify';
import { validate } from '@strata/validate';
import { verifyApps, verifyFiles } from '../src/index.ts';
import { recordBuilt } from '../src/stale-dist.ts';

// On a fresh clone this builds the server binaries first (minutes, once per machine).
const BUILD_TIMEOUT = 15 * 60_000;

const service = (name: string, spec: string[]) =>
  ['apiVersion: v1', 'kind: Service', 'metadata:', `  name: ${name}`, 'spec:', ...spec.map((l) => `  ${l}`), ''].join('\n');

let server: Server;
let dir: string;
const write = (file: string, text: string) => {
  mkdirSync(join(dir, file, '..'), { recursive: true });
  writeFileSync(join(dir, file), text);
};

beforeAll(async () => {
  server = await startServer(await ensureServers());
  dir = mkdtempSync(join(tmpdir(), 'strata-pipeline-verify-'));
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('verifyFiles', () => {
  it("reports what cannot be read beside the server's findings, each at its file and line", async () => {
    write('in/bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n');
    write('in/web.yaml', service('web', ['type: Balancer', 'ports:', '  - port: 80']));
    const r = await verifyFiles(dir, ['in'], { server });
    expect(r.problems.map((p) => [p.file, p.line, p.rule, p.severity])).toStrictEqual([
      ['in/bad.yaml', 5, 'duplicate-key', 'error'],
      ['in/web.yaml', 6, 'server-rejected', 'error'],
    ]);
    expect(r.problems[1]!.message).toMatch(/Unsupported value: "Balancer"/);
    expect(r.objects).toBe(2);
    expect(r.notes).toStrictEqual([]);
  });

  it('refuses an object that has only a generateName once, by the name the server would give it', async () => {
    write('unnamed/gen.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: g-\n  namespace: x\ndata:\n  k: v\n');
    const r = await verifyFiles(dir, ['unnamed/gen.yaml'], { server });
    expect(r.problems.map((p) => [p.file, p.line, p.namespace, p.name, p.path, p.rule])).toStrictEqual([
      ['unnamed/gen.yaml', 3, 'x', 'g-*', 'metadata.name', 'missing-name'],
    ]);
    expect(r.problems[0]!.message).toMatch(/^missing metadata\.name; kubectl apply refuses generateName alone/);
    // Counted as read, never sent: kubectl apply refuses it before any request.
    expect([r.resources, r.objects]).toStrictEqual([1, 0]);
  });

  it('names every unknown field of an object, in the order of the file, the same in every run and at the lines validate names', async () => {
    // The server stops at the first unknown field of a mapping in Go's map order: alone, it named
    // one or some of these, differently from request to request.
    write(
      'unknown/web.yaml',
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web, namespace: fields}',
        'spec:',
        '  zebra: 1',
        '  selector: {matchLabels: {app: web}}',
        '  apple: 2',
        '  template:',
        '    metadata: {labels: {app: web}, mango: x}',
        '    spec:',
        '      containers:',
        '        - name: web',
        '          image: registry.example/web:1',
        '          kiwi: true',
        '          banana: false',
        '          cherry: 3',
        '',
      ].join('\n'),
    );
    const runs: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const r = await verifyFiles(dir, ['unknown/web.yaml'], { server });
      runs.push(r.problems.map((p) => `${p.line} ${p.path}: ${p.message} [${p.rule}]`));
    }
    const unknown = 'field not declared in schema [server-rejected]';
    expect(runs[0]).toStrictEqual([
      `5 spec.zebra: ${unknown}`,
      `7 spec.apple: ${unknown}`,
      `9 spec.template.metadata.mango: ${unknown}`,
      `14 spec.template.spec.containers[name="web"].kiwi: ${unknown}`,
      `15 spec.template.spec.containers[name="web"].banana: ${unknown}`,
      `16 spec.template.spec.containers[name="web"].cherry: ${unknown}`,
    ]);
    for (const run of runs.slice(1)) expect(run).toStrictEqual(runs[0]);
    // The offline checks name the same fields at the same lines (a list item by index, not by key).
    const offline = await validate(findRoot(import.meta.dirname), [join(dir, 'unknown/web.yaml')], { policy: false });
    const fields = (ps: readonly { line?: number; path?: string }[]) => ps.map((p) => `${p.line} ${p.path?.replace(/\[[^\]]*\]/g, '[]')}`);
    expect(fields(offline.problems)).toStrictEqual(fields((await verifyFiles(dir, ['unknown/web.yaml'], { server })).problems));
  });

  it('fails on inputs that hold no Kubernetes object, as validate does, unless allowEmpty says nothing is expected', async () => {
    mkdirSync(join(dir, 'nothing'), { recursive: true });
    write('nothing/README.md', 'no manifests here\n');
    write('comments.yaml', '# nothing here yet\n---\n# still nothing\n');
    const folder = await verifyFiles(dir, ['nothing'], { server });
    expect(folder.problems).toStrictEqual([
      {
        file: 'nothing',
        message:
          'no Kubernetes objects in nothing (no .yaml, .yml or .json file); point verify at the files that hold them, or pass --allow-empty where nothing is expected',
        rule: 'no-objects',
        severity: 'error',
      },
    ]);
    const comments = await verifyFiles(dir, ['comments.yaml'], { server });
    expect(comments.problems.map((p) => [p.file, p.rule, p.message.split(';')[0]])).toStrictEqual([
      ['comments.yaml', 'no-objects', 'no Kubernetes objects in comments.yaml'],
    ]);
    expect((await verifyFiles(dir, ['nothing', 'comments.yaml'], { server, allowEmpty: true })).problems).toStrictEqual([]);
  });

  it('counts the objects refused before sending, as validate counts them, and names each object its problems are about', async () => {
    write('three.yaml', THREE_CONFIG_MAPS);
    const r = await verifyFiles(dir, ['three.yaml'], { server });
    expect(r.problems.map((p) => [p.line, p.rule, p.resource])).toStrictEqual([
      [1, 'missing-type', 'three.yaml#0'],
      [10, 'server-rejected', 'three.yaml#2'],
    ]);
    expect(r.objects).toBe(2);
    // validate, in the workspace whose tools it runs, counts and lists the same objects.
    const [repo, file] = [findRoot(import.meta.dirname), join(dir, 'three.yaml')];
    const offline = await validate(repo, [file], { policy: false });
    const named = await verifyFiles(repo, [file], { server });
    expect([r.resources, named.resources]).toStrictEqual([3, offline.resources]);
    expect(named.judged).toStrictEqual(offline.objects);
  });

  it('applies what a walked kustomize tree builds, patches applied, and neither its kustomization files nor its patches, and says so as validate does', async () => {
    write('tree/base/kustomization.yaml', 'resources:\n  - web.yaml\n');
    write('tree/base/web.yaml', service('web', ['ports:', '  - name: http', '    port: 80']));
    write('tree/prod/kustomization.yaml', 'resources:\n  - ../base\npatches:\n  - path: port.yaml\n');
    // A patch, not an object: it adds a port to the base's Service.
    write('tree/prod/port.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - name: metrics\n      port: 8080\n');
    const r = await verifyFiles(dir, ['tree'], { server });
    expect(r.problems).toStrictEqual([]);
    expect(r.objects).toBe(1);
    // The kustomization files are not applied either: the server would refuse them as objects.
    expect(r.notes).toStrictEqual([
      '1 kustomization built with kustomize and its objects judged as built (tree/prod); the 2 files of the folder it reads are judged in that build, not on their own',
    ]);
  });

  it('applies what a patch makes of a walked resource: the server refuses the built object, at the line of the patch that set the field', async () => {
    write('bad/kustomization.yaml', 'resources:\n  - web.yaml\npatches:\n  - path: port.yaml\n');
    write('bad/web.yaml', service('web', ['ports:', '  - port: 80']));
    write('bad/port.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n      targetPort: 700000\n');
    const r = await verifyFiles(dir, ['bad'], { server });
    expect(r.problems.map((p) => [p.file, p.line, p.rule])).toStrictEqual([['bad/port.yaml', 8, 'server-rejected']]);
    expect(r.problems[0]!.message).toMatch(/700000/);
    expect(r.objects).toBe(1);
  });

  it('applies what a kustomization file named Kustomization builds, not the files it reads as they are written', async () => {
    write(
      'plain/Kustomization',
      'resources:\n  - web.yaml\npatches:\n  - target: {kind: Service, name: web}\n    patch: |\n      - op: add\n        path: /spec/ports/0/targetPort\n        value: 700000\n',
    );
    write('plain/web.yaml', service('web', ['ports:', '  - port: 80']));
    const r = await verifyFiles(dir, ['plain'], { server });
    expect(r.problems.map((p) => [p.file, p.line, p.rule])).toStrictEqual([['plain/Kustomization', 1, 'server-rejected']]);
    expect(r.problems[0]!.message).toMatch(/700000/);
    expect(r.objects).toBe(1);
  });

  it('applies what a kustomization file named on its own builds, as for its folder, at the line of the patch that set the field', async () => {
    write('named/kustomization.yaml', 'resources:\n  - web.yaml\npatches:\n  - path: port.yaml\n');
    write('named/web.yaml', service('web', ['ports:', '  - port: 80']));
    write('named/port.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n      targetPort: 700000\n');
    const r = await verifyFiles(dir, ['named/kustomization.yaml'], { server });
    expect(r.problems.map((p) => [p.file, p.line, p.rule])).toStrictEqual([['named/port.yaml', 8, 'server-rejected']]);
    expect(r.objects).toBe(1);
    expect(r.resources).toBe(1);
  });

  it('checks the files as an update of a folder of what is deployed now; what it cannot read there is a warning', async () => {
    write('now/web.yaml', service('api', ['clusterIP: 10.96.0.50', 'ports:', '  - port: 80']));
    write('now/broken.yaml', 'kind: [\n');
    write('next.yaml', service('api', ['clusterIP: 10.96.0.51', 'ports:', '  - port: 80']));
    const r = await verifyFiles(dir, ['next.yaml'], { server, against: 'now', defaultNamespace: 'upgrade' });
    const [unread, ...rest] = r.problems;
    expect(unread).toMatchObject({ file: 'now/broken.yaml', severity: 'warning', rule: 'yaml-syntax' });
    expect(unread!.message).toMatch(/^in --against: /);
    expect(rest).toMatchObject([{ file: 'next.yaml', name: 'api', rule: 'immutable-field', severity: 'error' }]);
    expect(rest[0]!.message).toMatch(/changed since now/);
  });

  it('refuses an --against that is not a folder, before the server starts', async () => {
    write('alone.yaml', service('alone', ['ports:', '  - port: 80']));
    await expect(verifyFiles(dir, ['alone.yaml'], { against: 'HEAD~1' })).rejects.toThrow(
      new UsageError(
        "--against HEAD~1: with named files, name a folder of the manifests deployed now (a git ref works for the apps' built output only)",
      ),
    );
  });
});

describe('verifyApps', () => {
  it("verifies the apps' built output and says which envs run another minor version than the server", async () => {
    const root = join(dir, 'repo');
    write('repo/strata.config.json', JSON.stringify({ kubernetes: { envs: { dev: '1.35' } } }));
    write('repo/overlays/dev/web/kustomization.yaml', 'resources: []\n');
    const built = service('web', ['ports:', '  - port: 80']);
    write('repo/dist/dev/web.yaml', built);
    // As a build of this checkout leaves it: the file, and the record of writing it.
    recordBuilt(root, [{ output: 'dist/dev/web.yaml', yaml: built }]);
    const r = await verifyApps(root, { server, defaultNamespace: 'apps' });
    expect(r.problems).toStrictEqual([]);
    expect(r.objects).toBe(1);
    expect(r.serverVersion).toMatch(/^v1\.36\./);
    expect(r.notes).toStrictEqual([
      'dev runs Kubernetes 1.35, this server 1.36: what 1.35 does not serve is reported by validate and the pipeline, not here',
    ]);
    expect((await verifyApps(root, { server, env: 'prod', allowEmpty: true })).notes).toStrictEqual([]);
  });
});
