import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInputs, validate } from '../src/validate.ts';
import { repo } from './workspace.ts';

// Clean files are read by a fast parser and handed to kubeconform as they are; a file with any
// problem is read by the line-tracking parser. Both must give the same documents and lines.
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
  it('gives the same documents and lines for a clean file as for one the line-tracking parser reads', () => {
    const clean = parseInputs(dir, [write('clean.yaml', STREAM)]);
    // A duplicate key in a third document sends the whole file through the line-tracking parser.
    const broken = parseInputs(dir, [write('broken.yaml', `${STREAM}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n`)]);
    expect(clean.problems).toStrictEqual([]);
    expect(broken.problems.map((p) => p.rule)).toStrictEqual(['duplicate-key']);
    expect(clean.docs.map((d) => d.manifest)).toStrictEqual(broken.docs.map((d) => d.manifest));
    const lines = (docs: typeof clean.docs) => docs.map((d) => [d.line, d.lineOf(['spec', 'replicas']), d.lineOf(['spec', 'template', 'spec', 'containers', 0, 'image']), d.lineOf(['data', 'mode'])]);
    expect(lines(clean.docs)).toStrictEqual([
      [4, 4, 4, 10],
      [13, 19, 27, 13],
    ]);
    expect(lines(clean.docs)).toStrictEqual(lines(broken.docs));
    // Only the clean file may be read by kubeconform as it is.
    expect(clean.files.get('clean.yaml')?.path).toBe(join(dir, 'clean.yaml'));
    expect(broken.files.get('broken.yaml')?.path).toBeUndefined();
  });

  it('reads values as YAML 1.2 in both parsers: on, yes and dates stay strings', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "on"\n  b: 2024-01-01\n  c: "007"\n';
    const [doc] = parseInputs(dir, [write('values.yaml', text)]).docs;
    expect(doc?.manifest).toMatchObject({ data: { a: 'on', b: '2024-01-01', c: '007' } });
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
