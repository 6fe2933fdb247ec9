import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testTempDir, writeTree } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validate } from '../src/index.ts';
import { kustomizeBuild, repo } from './kustomize-trees.ts';

/**
 * kustomize reads YAML 1.2, where an unquoted date or time is a timestamp, and writes it back in
 * RFC 3339: `built: 2024-01-02` in a resource or a hand-written patch is built as
 * "2024-01-02T00:00:00Z", where kubectl reads the text 2024-01-02, and `kubectl apply -k` sends what
 * kustomize built. An object's own metadata.annotations are kept as written. The finding is at the
 * line that writes the value, with the quoted form to write.
 */
const TREE: Record<string, string> = {
  'base/kustomization.yaml': 'resources:\n- cm.yaml\n- web.yaml\n',
  'base/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: flags
  namespace: shop
  annotations:
    built: 2024-01-02
data:
  since: 2024-01-02
  at: 2001-12-14t21:59:43.10-05:00
  kept: 2001-12-14 21:59:43.10 -5
  quoted: "2024-01-02"
`,
  'base/web.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: c
        image: nginx:1.27
`,
  'overlay/kustomization.yaml': 'resources:\n- ../base\npatches:\n- path: built.yaml\n',
  'overlay/built.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    built: 2024-01-02
spec:
  template:
    metadata:
      annotations:
        built: 2024-01-02
    spec:
      containers:
      - name: c
        env:
        - name: RELEASED
          value: 2024-01-02
`,
};

describe('an unquoted date or time kustomize builds as a timestamp, in a folder walk', () => {
  it('is found at the line that writes it where the build holds other text, saying to quote it', async () => {
    const dir = writeTree(testTempDir('strata-walk-timestamps-'), TREE);
    const built = kustomizeBuild(join(dir, 'overlay'));
    expect(built.status, built.stderr).toBe(0);
    const [cm, web] = parseAllDocuments(built.stdout).map((d) => d.toJS()) as [
      { metadata: { annotations: Record<string, string> }; data: Record<string, string> },
      {
        metadata: { annotations: Record<string, string> };
        spec: { template: { metadata: { annotations: Record<string, string> }; spec: { containers: { env: { value: string }[] }[] } } };
      },
    ];
    // What kustomize v5.8.1 builds of each value.
    expect(cm.data).toStrictEqual({
      since: '2024-01-02T00:00:00Z',
      at: '2001-12-14T21:59:43.1-05:00',
      kept: '2001-12-14 21:59:43.10 -5',
      quoted: '2024-01-02',
    });
    expect(cm.metadata.annotations.built).toBe('2024-01-02');
    expect(web.metadata.annotations.built).toBe('2024-01-02');
    expect(web.spec.template.metadata.annotations.built).toBe('2024-01-02T00:00:00Z');
    expect(web.spec.template.spec.containers[0]!.env[0]!.value).toBe('2024-01-02T00:00:00Z');

    const r = await validate(repo, ['.'], { cwd: dir, policy: false, serverChecks: false });
    expect(r.problems.map((p) => [p.file, p.line, p.kind, p.name, p.path, p.rule])).toStrictEqual([
      ['base/cm.yaml', 9, 'ConfigMap', 'flags', 'data.since', 'yaml-version'],
      ['base/cm.yaml', 10, 'ConfigMap', 'flags', 'data.at', 'yaml-version'],
      ['overlay/built.yaml', 12, 'Deployment', 'web', 'spec.template.metadata.annotations.built', 'yaml-version'],
      ['overlay/built.yaml', 18, 'Deployment', 'web', 'spec.template.spec.containers[0].env[0].value', 'yaml-version'],
    ]);
    expect(r.problems.map((p) => readFileSync(join(dir, p.file), 'utf8').split('\n')[p.line! - 1]!.trim())).toStrictEqual([
      'since: 2024-01-02',
      'at: 2001-12-14t21:59:43.10-05:00',
      'built: 2024-01-02',
      'value: 2024-01-02',
    ]);
    const said = (written: string, built: string) =>
      `kustomize builds the unquoted ${written} here as "${built}" (it reads YAML 1.2, where it is a timestamp, and writes it back in RFC 3339), not as the text "${written}" kubectl reads in this file; kubectl apply -k sends what kustomize built: quote it: "${written}"`;
    expect(r.problems.map((p) => p.message)).toStrictEqual([
      said('2024-01-02', '2024-01-02T00:00:00Z'),
      said('2001-12-14t21:59:43.10-05:00', '2001-12-14T21:59:43.1-05:00'),
      said('2024-01-02', '2024-01-02T00:00:00Z'),
      said('2024-01-02', '2024-01-02T00:00:00Z'),
    ]);
  });
});

// A patch written inline in the kustomization is read by kustomize as a patch file is: its dates
// are built as timestamps the same, and found at the kustomization's own lines.
const INLINE: Record<string, string> = {
  'base/kustomization.yaml': 'resources:\n- cm.yaml\n',
  'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: shop\ndata:\n  kept: "x"\n',
  'inline/kustomization.yaml': `resources:
- ../base
patches:
- patch: |-
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: flags
      namespace: shop
      annotations:
        built: 2024-01-02
    data:
      released: 2024-03-04
      quoted: "2024-03-04"
`,
  'merged/kustomization.yaml': `resources:
- ../base
patchesStrategicMerge:
- |
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: flags
    namespace: shop
  data:

    shipped: 2024-05-06
`,
};

describe('an unquoted date in a patch written inline in a kustomization, in a folder walk', () => {
  it('is found at the line of the kustomization that writes it, where the build holds a timestamp', async () => {
    const dir = writeTree(testTempDir('strata-walk-inline-timestamps-'), INLINE);
    const data = (folder: string) => {
      const built = kustomizeBuild(join(dir, folder));
      expect(built.status, built.stderr).toBe(0);
      return (parseAllDocuments(built.stdout)[0]!.toJS() as { data: Record<string, string> }).data;
    };
    // What kustomize v5.8.1 builds of each value.
    expect(data('inline')).toStrictEqual({ kept: 'x', released: '2024-03-04T00:00:00Z', quoted: '2024-03-04' });
    expect(data('merged')).toStrictEqual({ kept: 'x', shipped: '2024-05-06T00:00:00Z' });

    const r = await validate(repo, ['.'], { cwd: dir, policy: false, serverChecks: false });
    expect(r.problems.map((p) => [p.file, p.line, p.kind, p.name, p.path, p.rule])).toStrictEqual([
      ['inline/kustomization.yaml', 13, 'ConfigMap', 'flags', 'data.released', 'yaml-version'],
      ['merged/kustomization.yaml', 12, 'ConfigMap', 'flags', 'data.shipped', 'yaml-version'],
    ]);
    expect(r.problems.map((p) => readFileSync(join(dir, p.file), 'utf8').split('\n')[p.line! - 1]!.trim())).toStrictEqual([
      'released: 2024-03-04',
      'shipped: 2024-05-06',
    ]);
    expect(r.problems[0]!.message).toBe(
      'kustomize builds the unquoted 2024-03-04 here as "2024-03-04T00:00:00Z" (it reads YAML 1.2, where it is a timestamp, and writes it back in RFC 3339), not as the text "2024-03-04" written in this patch; kubectl apply -k sends what kustomize built: quote it: "2024-03-04"',
    );
  });
});
