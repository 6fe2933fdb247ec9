import { describe, expect, it } from 'vitest';
import { parseObjects } from '../src/index.ts';

describe('parseObjects', () => {
  it('reads every document with the line it starts on, skipping empty ones', () => {
    const text = [
      '# header',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: a}',
      '---',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: b}',
      '',
    ].join('\n');
    expect(parseObjects(text, 'out.yaml').map((o) => [o.manifest.kind, o.manifest.metadata.name, o.file, o.line])).toStrictEqual([
      ['ConfigMap', 'a', 'out.yaml', 2],
      ['Service', 'b', 'out.yaml', 7],
    ]);
  });

  it('flattens a List', () => {
    const text = 'apiVersion: v1\nkind: List\nmetadata: {name: l}\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n';
    expect(parseObjects(text, 'l.yaml').map((o) => o.manifest.metadata.name)).toStrictEqual(['a']);
  });

  it('names the file and line of a YAML error or a document that is not an object', () => {
    expect(() => parseObjects('apiVersion: v1\nkind: [\n', 'bad.yaml')).toThrow(/^bad\.yaml:\d+: /);
    expect(() => parseObjects('a: 1\n', 'x.yaml')).toThrow('x.yaml:1: not a Kubernetes object');
  });
});
