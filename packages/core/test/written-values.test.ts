import { describe, expect, it } from 'vitest';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Container } from 'kubernetes-models/v1/Container';
import { ObjectError, toManifest, type KubeObject } from '../src/index.ts';

const WHERE = 'app odd env dev';
const meta = { name: 'mapped', namespace: 'demo' };

/** The one line toManifest refuses `object` with, or the manifest it made. */
function refusal(object: unknown): string {
  try {
    toManifest(object as KubeObject, WHERE);
  } catch (e) {
    expect(e).toBeInstanceOf(ObjectError);
    return (e as Error).message;
  }
  return 'accepted';
}

describe('a rendered value that its YAML would not hold as it is', () => {
  it('is refused at its object and field, saying what to give instead', () => {
    const self: Record<string, unknown> = { a: 'x' };
    self.self = self;
    class Settings {
      level = 'debug';
    }
    const cases: [unknown, string][] = [
      [
        new ConfigMap({ metadata: meta, data: new Map([['LOG_LEVEL', 'debug']]) as never }),
        'v1/ConfigMap demo/mapped: data: a Map, which YAML would write as {} and lose its entries; give a plain object (Object.fromEntries(map))',
      ],
      [
        new ConfigMap({ metadata: { ...meta, labels: new Map([['tier', 'web']]) as never } }),
        'v1/ConfigMap demo/mapped: metadata.labels: a Map, which YAML would write as {} and lose its entries; give a plain object (Object.fromEntries(map))',
      ],
      [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { a: 5n } },
        'v1/ConfigMap demo/mapped: data.a: a BigInt (5n), which JSON cannot hold (writing it fails); give a number (Number(value)), or a string where the field takes text',
      ],
      [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: self },
        'v1/ConfigMap demo/mapped: data.self: refers back to data, which holds it (a cycle), and JSON cannot hold a cycle (writing it fails); give a copy of the value, not the value that holds it',
      ],
      [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { [Symbol('k')]: 'v' } },
        'v1/ConfigMap demo/mapped: data: has a Symbol key (Symbol(k)), which JSON cannot hold and the YAML would leave out with its value; use a string key',
      ],
      [
        new ConfigMap({ metadata: meta, data: { level: new Settings() as never } }),
        'v1/ConfigMap demo/mapped: data.level: an instance of class Settings, which is no Kubernetes model: YAML would write its own fields alone, or {}; give a plain object',
      ],
      [
        new Deployment({
          metadata: meta,
          spec: {
            selector: { matchLabels: { app: 'x' } },
            template: { spec: { containers: [new Container({ name: 'c', image: 'i', args: new Set(['--v']) as never })] } },
          },
        }),
        'apps/v1/Deployment demo/mapped: spec.template.spec.containers[0].args: a Set, which YAML would write as {} and lose its items; give an array ([...set])',
      ],
      [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { f: () => 'x' } },
        'v1/ConfigMap demo/mapped: data.f: a function, which JSON cannot hold and the YAML would leave out; give the value it makes (call it in render)',
      ],
    ];
    for (const [object, says] of cases) expect(refusal(object)).toBe(`${WHERE}: ${says}`);
  });

  it('accepts what JSON writes as it is: a model nested in a model, a Date by its toJSON, a field left undefined, a value shared by two fields', () => {
    const shared = { app: 'x' };
    const d = new Deployment({
      metadata: { ...meta, labels: shared, annotations: { unset: undefined as never } },
      spec: {
        selector: { matchLabels: shared },
        template: { metadata: { labels: shared }, spec: { containers: [new Container({ name: 'c', image: 'i' })] } },
      },
    });
    const m = toManifest(d, WHERE);
    expect(m.metadata.annotations).toStrictEqual({});
    expect(m.metadata.labels).toStrictEqual({ app: 'x' });
    expect((m.spec as { template: { spec: unknown } }).template.spec).toStrictEqual({ containers: [{ name: 'c', image: 'i' }] });
    const widget = { apiVersion: 'toys.example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { since: new Date(0) } };
    expect(toManifest(widget as KubeObject, WHERE).spec).toStrictEqual({ since: '1970-01-01T00:00:00.000Z' });
  });
});

describe('an object a render gives as plain data, not as a model', () => {
  it("is checked by its kind's model, as an instance of it is", () => {
    const plain = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'demo' }, data: { a: 1, b: true } };
    expect(refusal(plain)).toBe(`${WHERE}: v1/ConfigMap demo/x: data.a: must be string (and 1 more field)`);
    expect(refusal(new ConfigMap(plain as never))).toBe(refusal(plain));
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'demo' }, spec: { ports: [{ port: '80' }] } };
    expect(refusal(service)).toMatch(/^app odd env dev: v1\/Service demo\/s: spec\.ports\[0\]\.port: must be integer/);
  });

  it('is accepted when valid, and left to the schema checks when no installed package has a model of its kind', () => {
    const valid = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'demo' }, data: { a: '1' } };
    expect(toManifest(valid as KubeObject, WHERE)).toStrictEqual(valid);
    const unknown = { apiVersion: 'toys.example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 'huge' } };
    expect(toManifest(unknown as KubeObject, WHERE)).toStrictEqual(unknown);
  });
});
