import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInputs, readText, validate } from '../src/index.ts';
import { findRoot } from '@strata/core';

const repo = findRoot(import.meta.dirname);

// Built output is read by a fast parser, anything else by the line-tracking one; both must give the
// same documents and lines. kubeconform reads a file as it is when every document in it is readable.
const dir = mkdtempSync(join(tmpdir(), 'strata-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

const STREAM = [
  '# built by hand', //                    1
  '---', //                                2
  '---', //                                3
  'apiVersion: v1', //                     4
  'kind: ConfigMap', //                    5
  'metadata:', //                          6
  '  name: settings', //                   7
  '  namespace: web', //                   8
  'data:', //                              9
  '  mode: "on"', //                      10
  '---', //                               11
  '# the workload', //                    12
  'apiVersion: apps/v1', //               13
  'kind: Deployment', //                  14
  'metadata:', //                         15
  '  name: web', //                       16
  '  namespace: web', //                  17
  'spec:', //                             18
  '  replicas: 2', //                     19
  '  selector:', //                       20
  '    matchLabels: {app: web}', //       21
  '  template:', //                       22
  '    metadata: {labels: {app: web}}', // 23
  '    spec:', //                         24
  '      containers:', //                 25
  '        - name: web', //               26
  '          image: nginx:1.27', //       27
  '',
].join('\n');

describe('reading YAML for validate', () => {
  it('gives the same documents and lines for built output read the fast way as the line-tracking parser', () => {
    const fast = readText(STREAM, 'clean.yaml', 'clean.yaml', join(dir, 'clean.yaml'), { trusted: true });
    const exact = readText(STREAM, 'clean.yaml', 'clean.yaml', join(dir, 'clean.yaml'), { trusted: false });
    expect(fast.problems).toStrictEqual([]);
    expect(exact.problems).toStrictEqual([]);
    const lines = (docs: typeof fast.docs) => docs.map((d) => [d.line, d.lineOf(['spec', 'replicas']), d.lineOf(['spec', 'template', 'spec', 'containers', 0, 'image']), d.lineOf(['data', 'mode'])]);
    expect(fast.docs.map((d) => d.manifest)).toStrictEqual(exact.docs.map((d) => d.manifest));
    expect(lines(fast.docs)).toStrictEqual([
      [4, 4, 4, 10],
      [13, 19, 27, 13],
    ]);
    expect(lines(fast.docs)).toStrictEqual(lines(exact.docs));
  });

  it('reads any other file exactly: kubeconform reads it as it is only when every document in it is readable', () => {
    const clean = parseInputs(dir, [write('clean.yaml', STREAM)]);
    // A duplicate key in a third document: that document is a problem, the others are checked.
    const broken = parseInputs(dir, [write('broken.yaml', `${STREAM}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n`)]);
    expect(clean.problems).toStrictEqual([]);
    expect(broken.problems.map((p) => p.rule)).toStrictEqual(['duplicate-key']);
    expect(clean.docs.map((d) => d.manifest)).toStrictEqual(broken.docs.map((d) => d.manifest));
    expect(clean.docs.map((d) => d.line)).toStrictEqual([4, 13]);
    expect(broken.docs.map((d) => d.line)).toStrictEqual([4, 13]);
    // Only the clean file may be read by kubeconform as it is.
    expect(clean.files.get('clean.yaml')?.path).toBe(join(dir, 'clean.yaml'));
    expect(broken.files.get('broken.yaml')?.path).toBeUndefined();
  });

  it('reports what js-yaml would let through in a hand-written file: a flow mapping continued without indentation', async () => {
    const file = write('flow.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg,\nnamespace: shop}\ndata:\n  a: "1"\n');
    const r = await validate(repo, [file], { policy: false });
    expect(r.problems.map((p) => p.rule)).toContain('yaml-syntax');
    expect(r.problems.find((p) => p.rule === 'yaml-syntax')?.line).toBe(4);
  });

  it('reads values as YAML 1.2 in both parsers: on, yes and dates stay strings', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "on"\n  b: 2024-01-01\n  c: "007"\n';
    const [doc] = parseInputs(dir, [write('values.yaml', text)]).docs;
    expect(doc?.manifest).toMatchObject({ data: { a: 'on', b: '2024-01-01', c: '007' } });
    const [fast] = readText(text, 'values.yaml', 'values.yaml', undefined, { trusted: true }).docs;
    expect(fast?.manifest).toStrictEqual(doc?.manifest);
  });

  it('checks only the objects of a file that also holds a Kustomization, at their own lines', async () => {
    const file = write('mixed.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  portz: []\n');
    const r = await validate(repo, [file], { policy: false });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ kind: 'Service', name: 'web', path: 'spec.portz', line: 10, rule: 'schema' });
    expect(r.problems[0]!.file).toMatch(/mixed\.yaml$/);
  });

  it('still checks the good documents of a file with a broken one', async () => {
    const file = write('half.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  portz: []\n---\na: [1, 2\n');
    const r = await validate(repo, [file], { policy: false });
    expect(r.problems.map((p) => [p.rule, p.line])).toStrictEqual([
      ['schema', 6],
      // The unclosed sequence is noticed where the stream ends.
      ['yaml-syntax', 9],
    ]);
  });

  it('says when kubectl would read an unquoted yes as a boolean', async () => {
    const file = write('yes.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  enabled: yes\n');
    const r = await validate(repo, [file], { policy: false });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ line: 6, path: 'data.enabled' });
    expect(r.problems[0]!.message).toContain('kubectl reads an unquoted yes as a boolean; quote it: "yes"');
  });
});
