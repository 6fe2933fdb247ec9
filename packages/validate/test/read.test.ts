import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeParsed, parseInputs, readText, validate } from '../src/index.ts';
import { findRoot, UsageError } from '@strata/project';

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
  it('gives each object its line and each field its own line, from text in memory as from a file', async () => {
    const parsed = { docs: [], problems: [], files: new Map() } as Parameters<typeof decodeParsed>[0];
    parsed.files.set('clean.yaml', readText(STREAM, 'clean.yaml', 'clean.yaml').file);
    await decodeParsed(parsed, repo);
    const fromFile = await parseInputs(dir, [write('clean.yaml', STREAM)]);
    const lines = (docs: typeof parsed.docs) =>
      docs.map((d) => [
        d.line,
        d.lineOf(['spec', 'replicas']),
        d.lineOf(['spec', 'template', 'spec', 'containers', 0, 'image']),
        d.lineOf(['data', 'mode']),
      ]);
    expect(parsed.problems).toStrictEqual([]);
    expect(lines(parsed.docs)).toStrictEqual([
      [4, 4, 4, 10],
      [13, 19, 27, 13],
    ]);
    expect(lines(fromFile.docs)).toStrictEqual(lines(parsed.docs));
    expect(fromFile.docs.map((d) => d.manifest)).toStrictEqual(parsed.docs.map((d) => d.manifest));
  });

  it("gives a file's documents as objects only when each is one object that YAML 1.1 and 1.2 read alike", async () => {
    const documentsOf = async (text: string) => {
      const parsed = { docs: [], problems: [], files: new Map() } as Parameters<typeof decodeParsed>[0];
      parsed.files.set('built.yaml', readText(text, 'built.yaml', 'built.yaml').file);
      await decodeParsed(parsed, repo);
      return parsed.files.get('built.yaml')!.documents;
    };
    const alike = await documentsOf(STREAM);
    // What a YAML 1.2 reader (kustomize, the round trip's parse) reads, and what validation judges.
    const yaml12 = loadAll(STREAM, undefined, { schema: CORE_SCHEMA }).filter((v) => v !== null);
    expect(alike).toStrictEqual(yaml12);
    const fromFile = await parseInputs(dir, [write('alike.yaml', STREAM)]);
    expect(alike).toStrictEqual(fromFile.docs.map((d) => d.manifest));
    // kubectl reads true where YAML 1.2 reads "on", and text where it reads a date; a list, JSON, a
    // repeated key, a nameless object or a broken document is not one plain object each.
    const configMap = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n${data}`;
    for (const text of [
      configMap('data:\n  mode: on\n'),
      configMap('data:\n  since: 2024-01-01\n'),
      `apiVersion: v1\nkind: List\nitems:\n- ${configMap('').split('\n').join('\n  ')}`,
      '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}\n',
      configMap('data:\n  a: "1"\n  a: "2"\n'),
      'apiVersion: v1\nkind: ConfigMap\ndata: {}\n',
      `${STREAM}---\nnot: [valid\n`,
    ]) {
      expect(await documentsOf(text), text).toBeUndefined();
    }
    // Read alike: quoted, or a number to both.
    expect(
      await documentsOf(configMap('data:\n  mode: "on"\n  since: "2024-01-01"\nbinaryData: {}\nimmutable: false\nweight: 0o17\n')),
    ).toStrictEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c' },
        data: { mode: 'on', since: '2024-01-01' },
        binaryData: {},
        immutable: false,
        weight: 15,
      },
    ]);
  });

  it('reports a duplicate key naming the key and the object, and judges the object kubectl keeps (the last value)', async () => {
    const broken = await parseInputs(dir, [write('broken.yaml', `${STREAM}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n`)]);
    expect(broken.problems.map((p) => [p.rule, p.line, p.kind, p.name, p.message])).toStrictEqual([
      [
        'duplicate-key',
        33,
        'ConfigMap',
        'b',
        'key "name" appears twice in one mapping; kubectl silently keeps only the last value: remove the other',
      ],
    ]);
    expect(broken.docs.map((d) => [d.line, d.manifest.metadata.name])).toStrictEqual([
      [4, 'settings'],
      [13, 'web'],
      [29, 'b'],
    ]);
  });

  it('accepts what kubectl accepts: a flow mapping continued without indentation is read as kubectl reads it', async () => {
    const file = write('flow.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg,\nnamespace: shop}\ndata:\n  a: "1"\n');
    const parsed = await parseInputs(dir, [file]);
    expect(parsed.problems).toStrictEqual([]);
    expect(parsed.docs[0]?.manifest.metadata).toStrictEqual({ name: 'cfg', namespace: 'shop' });
  });

  it('reads values as kubectl does (YAML 1.1): quoted text stays text, unquoted yes and on are booleans, dates stay text', async () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "on"\n  b: 2024-01-01\n  c: "007"\n  d: yes\n  e: on\n';
    const [doc] = (await parseInputs(dir, [write('values.yaml', text)])).docs;
    expect(doc?.manifest).toStrictEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { a: 'on', b: '2024-01-01', c: '007', d: true, e: true },
    });
  });

  it('checks the objects of a file that also holds a Kustomization at their own lines, and says the Kustomization cannot be applied', async () => {
    const file = write(
      'mixed.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  portz: []\n',
    );
    // Reading is the point here; the server check (a Service without ports) has its own tests.
    const r = await validate(repo, [file], { policy: false, serverChecks: false });
    // A Kustomization among objects is not something kubectl can apply: it is said at its line.
    expect(r.problems.map((p) => [p.kind, p.path, p.line, p.rule])).toStrictEqual([
      ['Kustomization', undefined, 1, 'not-a-resource'],
      ['Service', 'spec.portz', 10, 'schema'],
    ]);
  });

  it('still checks the good documents of a file with a broken one', async () => {
    const file = write('half.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  portz: []\n---\na: [1, 2\n');
    const r = await validate(repo, [file], { policy: false, serverChecks: false });
    expect(r.problems.map((p) => [p.rule, p.line])).toStrictEqual([
      ['schema', 6],
      // The unclosed sequence is noticed where the stream ends.
      ['yaml-syntax', 9],
    ]);
  });

  it('says when kubectl would read an unquoted yes as a boolean', async () => {
    const file = write('yes.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  enabled: yes\n');
    const r = await validate(repo, [file], { policy: false });
    expect(r.problems.map((p) => [p.rule, p.line, p.path])).toStrictEqual([
      ['yaml-version', 6, 'data.enabled'],
      ['schema', 6, 'data.enabled'],
    ]);
    expect(r.problems[1]!.message).toContain('kubectl reads an unquoted yes as a boolean; quote it: "yes"');
    expect(r.problems[0]!.message).toBe(
      'kubectl (YAML 1.1) reads true here but kustomize (YAML 1.2) "yes": write it so both agree (quote text; true or false for booleans)',
    );
  });

  it('names the object, the key and the YAML 1.1 reading when kubectl cannot decode a value in metadata', async () => {
    const file = write(
      'labels.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: default\n  labels: {tier: y, app: web}\n',
    );
    const item = write(
      'item.yaml',
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n    annotations:\n      a: "x"\n      b: 5\n',
    );
    const r = await validate(repo, [file, item], { policy: false, serverChecks: false });
    expect(r.problems.map((p) => [p.file.endsWith('labels.yaml'), p.line, p.apiVersion, p.kind, p.namespace, p.name, p.path, p.rule])).toStrictEqual([
      [false, 10, 'v1', 'Secret', undefined, 's', 'items[0].metadata.annotations.b', 'schema'],
      [true, 6, 'v1', 'ConfigMap', 'default', 'cm', 'metadata.labels.tier', 'schema'],
    ]);
    expect(r.problems[1]!.message).toBe(
      'a bool where kubectl expects a string (kubectl reads an unquoted y as a boolean; quote it: "y"); kubectl refuses this object (quote the value or fix the indentation)',
    );
    expect(r.problems[0]!.message).not.toContain('boolean');
  });

  it('parses apiVersion as the API server does: /v1 is v1, and more than one slash is refused in its words', async () => {
    const slash = write('slash.yaml', 'apiVersion: /v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n');
    const extra = write('extra.yaml', 'kind: Deployment\napiVersion: apps/v1/extra\nmetadata:\n  name: web\n  namespace: shop\n');
    const item = write('item.yaml', 'apiVersion: v1\nkind: List\nitems:\n- kind: ConfigMap\n  apiVersion: a/b/c\n  metadata: {name: abc}\n');
    const r = await validate(repo, [slash, extra, item], { policy: false });
    expect(r.problems.map((p) => [p.file.split('/').pop(), p.line, p.apiVersion, p.kind, p.name, p.path, p.rule, p.message])).toStrictEqual([
      [
        'extra.yaml',
        2,
        'apps/v1/extra',
        'Deployment',
        'web',
        'apiVersion',
        'missing-type',
        'unexpected GroupVersion string: apps/v1/extra; kubectl refuses it: an apiVersion is a version (v1) or a group and a version (apps/v1)',
      ],
      [
        'item.yaml',
        5,
        'a/b/c',
        'ConfigMap',
        'abc',
        'apiVersion',
        'missing-type',
        'unexpected GroupVersion string: a/b/c; kubectl refuses it: an apiVersion is a version (v1) or a group and a version (apps/v1)',
      ],
    ]);
  });

  it('refuses - given twice before reading anything: standard input can be read once', async () => {
    let reads = 0;
    const stdin = () => {
      reads++;
      return 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: once}\n';
    };
    const refused = parseInputs(dir, ['-', write('other.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n'), '-'], { stdin });
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow('-: standard input cannot be used for more than one argument; give - once');
    expect(reads).toBe(0);
    expect((await parseInputs(dir, ['-'], { stdin })).docs).toHaveLength(1);
  });
});
