import { describe, expect, it } from 'vitest';
import { builtDocuments, pathSegments, readBuilt } from '../src/index.ts';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: {
    template: {
      spec: {
        containers: [
          { name: 'sidecar', ports: [{ containerPort: 9090, protocol: 'TCP' }] },
          {
            name: 'app',
            ports: [
              { containerPort: 80, protocol: 'TCP' },
              { containerPort: 80, protocol: 'UDP' },
            ],
          },
        ],
      },
    },
  },
};

describe('pathSegments', () => {
  it('resolves list items by index and by their keys as the server names them', () => {
    expect(pathSegments(deployment, 'spec.template.spec.containers[name="app"].ports[containerPort=80,protocol="UDP"]')).toStrictEqual([
      'spec',
      'template',
      'spec',
      'containers',
      1,
      'ports',
      1,
    ]);
    expect(pathSegments(deployment, 'spec.template.spec.containers[0].name')).toStrictEqual(['spec', 'template', 'spec', 'containers', 0, 'name']);
  });

  it('keeps keys that contain dots whole', () => {
    expect(pathSegments(deployment, 'metadata.labels.app.kubernetes.io/name')).toStrictEqual(['metadata', 'labels', 'app.kubernetes.io/name']);
  });

  it('stops where the object has nothing to match', () => {
    expect(pathSegments(deployment, 'spec.template.spec.containers[name="db"].image')).toStrictEqual(['spec', 'template', 'spec', 'containers']);
    expect(pathSegments(deployment, 'spec.replicas')).toStrictEqual(['spec']);
  });
});

describe('readBuilt', () => {
  const text = [
    '# built',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: a',
    'data:',
    '  k: v',
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: b',
    'spec:',
    '  type: Balancer',
    '',
  ].join('\n');

  it('reads each object with the line it starts on and the lines of its fields', () => {
    const docs = readBuilt(text, 'dist/dev/x.yaml');
    expect(docs.map((d) => [d.file, d.manifest.kind, d.line])).toStrictEqual([
      ['dist/dev/x.yaml', 'ConfigMap', 2],
      ['dist/dev/x.yaml', 'Service', 9],
    ]);
    expect(docs[1]!.lineOf!(['spec', 'type'])).toBe(14);
    expect(docs[1]!.lineOf!(['spec', 'ports'])).toBe(13);
  });

  it('names the file when the text is not valid YAML', () => {
    expect(() => readBuilt('a: [', 'dist/dev/x.yaml')).toThrow(/^dist\/dev\/x\.yaml: not valid YAML/);
  });

  it('gives an object with an int64 past 2^53 the JSON kubectl sends for it, every digit kept', () => {
    const built = [
      'apiVersion: batch/v1',
      'kind: Job',
      'metadata:',
      '  name: long',
      'spec:',
      '  activeDeadlineSeconds: 9223372036854775807',
      '  backoffLimit: 6',
      '---',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: plain',
      '  deletionGracePeriodSeconds: 900719925474099',
      'data:',
      '  id: "12345678901234567890"',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: past-int64',
      '  deletionGracePeriodSeconds: -9223372036854775809',
      '',
    ].join('\n');
    const docs = readBuilt(built, 'dist/dev/x.yaml');
    expect(docs.map((d) => [d.manifest.metadata.name, d.json])).toStrictEqual([
      [
        'long',
        '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"long"},"spec":{"activeDeadlineSeconds":9223372036854775807,"backoffLimit":6}}',
      ],
      ['plain', undefined],
      // Past int64 kubectl holds a float64, which JavaScript writes as Go does.
      ['past-int64', undefined],
    ]);
    expect(JSON.stringify(docs[2]!.manifest)).toContain('"deletionGracePeriodSeconds":-9223372036854776000');
  });

  it('hands the JSON of an object read before on to verify', () => {
    const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
    const json = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"deletionGracePeriodSeconds":9223372036854775807,"name":"x"}}';
    const [withJson, without] = builtDocuments('', 'dist/dev/x.yaml', [
      { line: 1, manifest, json },
      { line: 3, manifest },
    ]);
    expect([withJson!.json, without!.json]).toStrictEqual([json, undefined]);
  });
});
