import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { ensureHelper, NOT_BUILT_NOTE } from '@strata/server-validation';
import { validate } from '../src/index.ts';

const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-server-fields-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The first test to ask on a fresh machine builds the helper (minutes, once per machine).
beforeAll(() => ensureHelper(), 20 * 60_000);

const DEPLOYMENT = [
  'apiVersion: apps/v1', //                 1
  'kind: Deployment', //                    2
  'metadata:', //                           3
  '  name: web', //                         4
  '  namespace: shop', //                   5
  'spec:', //                               6
  '  replicas: "2"', //                     7
  '  selector:', //                         8
  '    matchLabels:', //                    9
  '      app: web', //                     10
  '  template:', //                        11
  '    metadata:', //                      12
  '      labels:', //                      13
  '        app: api', //                   14
  '    spec:', //                          15
  '      containers:', //                  16
  '        - name: web', //                17
  '          image: nginx:1.27', //        18
  '          resources:', //               19
  '            requests:', //              20
  '              cpu: 100mm', //           21
].join('\n');

describe('validate with the server field checks', () => {
  const saved = process.env.STRATA_SERVER_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.STRATA_SERVER_CACHE;
    else process.env.STRATA_SERVER_CACHE = saved;
  });

  it("reports what the API server refuses at the field's line", async () => {
    writeFileSync(join(dir, 'web.yaml'), `${DEPLOYMENT.replace('"2"', '2')}\n`);
    const r = await validate(repo, [join(dir, 'web.yaml')], { policy: false });
    expect(r.notes).toStrictEqual([]);
    expect(r.problems.map((p) => [p.rule, p.line, p.path])).toStrictEqual([
      ['server-validation', 21, 'spec.template.spec.containers[0].resources.requests[cpu]'],
    ]);
  });

  it('reports a field the schema check refuses once, not again as the server would', async () => {
    // The server stops at a value it cannot decode, as the real one does.
    writeFileSync(join(dir, 'web.yaml'), `${DEPLOYMENT}\n`);
    const r = await validate(repo, [join(dir, 'web.yaml')], { policy: false });
    expect(r.problems.map((p) => [p.rule, p.line, p.path])).toStrictEqual([['schema', 7, 'spec.replicas']]);
  });

  it('says a refusal once when the server finds it twice, as a real server answers once: a Job name too long for both of its labels', async () => {
    const job = (name: string) =>
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: c\n          image: busybox:1.36\n`;
    writeFileSync(join(dir, 'job.yaml'), job('j'.repeat(64)));
    const r = await validate(repo, [join(dir, 'job.yaml')], { policy: false });
    expect(r.problems.map((p) => [p.rule, p.path, p.message])).toStrictEqual([
      ['server-validation', 'spec.template.labels', `Invalid value: "${'j'.repeat(64)}": must be no more than 63 bytes`],
    ]);
  });

  it('names the kinds whose create needs a cluster in its note, and as a list beside it', async () => {
    writeFileSync(
      join(dir, 'binding.yaml'),
      'apiVersion: v1\nkind: Binding\nmetadata:\n  name: b\n  namespace: shop\ntarget:\n  kind: Node\n  name: node-1\n',
    );
    const r = await validate(repo, [join(dir, 'binding.yaml')], { policy: false });
    expect(r.notes).toStrictEqual([
      'server field checks: not checked offline, their create needs a cluster (`strata verify` checks them): v1 Binding',
    ]);
    expect(r.notChecked).toStrictEqual(['v1 Binding']);
  });

  it('runs the validation behind a value that decodes', async () => {
    writeFileSync(join(dir, 'web.yaml'), `${DEPLOYMENT.replace('"2"', '2').replace('100mm', '100m')}\n`);
    const r = await validate(repo, [join(dir, 'web.yaml')], { policy: false });
    expect(r.problems.map((p) => [p.rule, p.line, p.path, p.message])).toStrictEqual([
      ['server-validation', 13, 'spec.template.metadata.labels', 'Invalid value: {"app":"api"}: `selector` does not match template `labels`'],
    ]);
  });

  it('leaves a privileged container to the no-privileged rule, as a server run with --allow-privileged=true (strata verify, real clusters) accepts it', async () => {
    const pod =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n    - name: c\n      image: nginx:1.27\n      securityContext:\n        privileged: true\n';
    writeFileSync(join(dir, 'priv.yaml'), pod);
    const offline = await validate(repo, [join(dir, 'priv.yaml')], { policy: false });
    expect(offline.notes).toStrictEqual([]);
    expect(offline.problems).toStrictEqual([]);
    const judged = await validate(repo, [join(dir, 'priv.yaml')]);
    const privileged = judged.problems.filter((p) => p.path?.endsWith('securityContext.privileged'));
    expect(privileged.map((p) => [p.rule, p.line])).toStrictEqual([['no-privileged', 11]]);
  });

  it("gives Services the node ports of the clusters' range, strata.config.json's kubernetes.serviceNodePortRange", async () => {
    const service = (name: string, nodePort: number) =>
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        `  name: ${name}`,
        'spec:',
        '  type: NodePort',
        '  ports:',
        '    - port: 80',
        `      nodePort: ${nodePort}`,
        '',
      ].join('\n');
    writeFileSync(join(dir, 'low.yaml'), service('low', 8080));
    writeFileSync(join(dir, 'high.yaml'), service('high', 30080));
    const files = [join(dir, 'low.yaml'), join(dir, 'high.yaml')];
    const found = (r: { problems: readonly { file: string; line?: number; path?: string; message: string }[] }) =>
      r.problems.map((p) => [p.file.slice(p.file.lastIndexOf('/') + 1), p.line, p.path, p.message]);
    const outside = (port: number, range: string) =>
      `Invalid value: ${port}: provided port is not in the valid range. The range of valid ports is ${range}`;
    expect(found(await validate(repo, files, { policy: false }))).toStrictEqual([
      ['low.yaml', 9, 'spec.ports[0].nodePort', outside(8080, '30000-32767')],
    ]);
    const ws = mkdtempSync(join(dir, 'ws-'));
    symlinkSync(join(repo, '.tools'), join(ws, '.tools'));
    writeFileSync(join(ws, 'strata.config.json'), JSON.stringify({ kubernetes: { serviceNodePortRange: '8000-9000' } }));
    expect(found(await validate(ws, files, { policy: false }))).toStrictEqual([
      ['high.yaml', 9, 'spec.ports[0].nodePort', outside(30080, '8000-9000')],
    ]);
  });

  it('judges an int64 past 2^53 by the value kubectl sends, not by a rounded double', async () => {
    const pod = (name: string, seconds: string) =>
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        `  name: ${name}`,
        'spec:',
        `  terminationGracePeriodSeconds: ${seconds}`,
        '  containers:',
        '    - name: app',
        '      image: nginx:1.27',
        '',
      ].join('\n');
    // The largest and smallest int64 fit the field; JSON.parse makes them +-2^63, which do not.
    writeFileSync(join(dir, 'max.yaml'), pod('max', '9223372036854775807'));
    writeFileSync(join(dir, 'min.yaml'), pod('min', '-9223372036854775808'));
    writeFileSync(join(dir, 'over.yaml'), pod('over', '9223372036854775808'));
    const r = await validate(repo, [join(dir, 'max.yaml'), join(dir, 'min.yaml'), join(dir, 'over.yaml')], { policy: false });
    expect(r.problems.map((p) => [p.file.slice(p.file.lastIndexOf('/') + 1), p.rule, p.line, p.path, p.message])).toStrictEqual([
      ['over.yaml', 'server-validation', 6, 'spec.terminationGracePeriodSeconds', 'cannot decode a number 9223372036854776000 as int64'],
    ]);
  });

  it('says in one note that the checks did not run when the helper is not built', async () => {
    // The quantity is valid to the decoder, so without the server check nothing is found.
    writeFileSync(join(dir, 'web.yaml'), `${DEPLOYMENT.replace('"2"', '2')}\n`);
    process.env.STRATA_SERVER_CACHE = mkdtempSync(join(tmpdir(), 'strata-no-helper-'));
    try {
      const r = await validate(repo, [join(dir, 'web.yaml')], { policy: false });
      expect(r.notes).toStrictEqual([NOT_BUILT_NOTE]);
      expect(r.skipped).toStrictEqual(['server field checks']);
      expect(r.problems).toStrictEqual([]);
    } finally {
      rmSync(process.env.STRATA_SERVER_CACHE, { recursive: true, force: true });
    }
  });
});
