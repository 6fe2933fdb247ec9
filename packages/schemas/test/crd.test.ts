import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { committedObjectMetaDefinitions, crdSchemas, goProxy, readCrds, schemaText } from '../src/crd.mjs';
import { crdManifestsDir, crdSchemasDir, schemaLocations, schemasDir } from '../src/index.ts';

describe('CRD schemas', () => {
  it('the committed CRD schemas are exactly what the library makes of the committed CRDs', () => {
    const made = new Map<string, string>();
    for (const file of readdirSync(crdManifestsDir).filter((f) => f.endsWith('.yaml'))) {
      for (const { crd } of readCrds(readFileSync(join(crdManifestsDir, file), 'utf8'), file)) {
        for (const s of crdSchemas(crd, committedObjectMetaDefinitions(), file)) made.set(s.file, schemaText(s.schema));
      }
    }
    const committed = readdirSync(crdSchemasDir).flatMap((g) => readdirSync(join(crdSchemasDir, g)).map((f) => `${g}/${f}`));
    expect([...made.keys()].sort()).toStrictEqual(committed.sort());
    for (const [file, text] of made) expect(text, file).toBe(readFileSync(join(crdSchemasDir, file), 'utf8'));
  });

  it("ships Gateway API's standard CRDs with a strict schema for each served version", () => {
    expect(readdirSync(join(crdSchemasDir, 'gateway.networking.k8s.io'))).toEqual(
      expect.arrayContaining(['gateway_v1.json', 'httproute_v1.json', 'grpcroute_v1.json', 'referencegrant_v1beta1.json']),
    );
    const route = JSON.parse(readFileSync(join(crdSchemasDir, 'gateway.networking.k8s.io/httproute_v1.json'), 'utf8'));
    expect(route.additionalProperties).toBe(false);
    expect(route.properties.spec.additionalProperties).toBe(false);
  });

  it('refuses a CRD whose name is not <plural>.<group>, naming the file', () => {
    const text =
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things\nspec:\n  group: example.com\n  names: {kind: Thing, plural: things}\n  versions: []\n';
    expect(() => readCrds(text, 'things.yaml')).toThrow(
      'things.yaml: CustomResourceDefinition things: metadata.name: must be named things.example.com (<plural>.<group>), as the API server requires; rename it, or fix spec.names.plural or spec.group',
    );
    expect(readCrds('apiVersion: v1\nkind: ConfigMap\n', 'cm.yaml')).toStrictEqual([]);
  });

  it('takes null where the server drops or defaults it, and refuses it where the server then refuses the object', () => {
    const text = [
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata: {name: pots.example.com}',
      'spec:',
      '  group: example.com',
      '  names: {kind: Pot, plural: pots}',
      '  scope: Namespaced',
      '  versions:',
      '    - name: v1',
      '      served: true',
      '      storage: true',
      '      schema:',
      '        openAPIV3Schema:',
      '          type: object',
      '          properties:',
      '            spec:',
      '              type: object',
      '              required: [size, lid]',
      '              oneOf: [{required: [size]}, {required: [port]}]',
      '              properties:',
      '                size: {type: integer}',
      '                lid: {type: string, default: round}',
      '                port: {x-kubernetes-int-or-string: true}',
      '                colour: {type: string, enum: [red]}',
      '                note: {type: string, nullable: true}',
      '                shape: {type: object, properties: {sides: {type: integer}}, not: {required: [sides]}}',
      '                tags: {type: array, items: {type: string}}',
      '                marks: {type: array, items: {type: string, default: x}}',
      '                limits: {type: object, additionalProperties: {type: integer}}',
    ].join('\n');
    const { crd } = readCrds(text, 'pots.yaml')[0]!;
    // biome-ignore lint/suspicious/noExplicitAny: a schema is read field by field here
    const spec = (crdSchemas(crd, committedObjectMetaDefinitions(), 'pots.yaml')[0]!.schema as any).properties.spec;
    // An optional spec is dropped when null; one required with a default is defaulted, so not required.
    expect(spec.type).toStrictEqual(['object', 'null']);
    expect(spec.required).toStrictEqual(['size']);
    // A null would match both branches of the oneOf: null is a branch of its own beside it.
    expect(spec.anyOf).toStrictEqual([{ type: 'null' }, { oneOf: [{ required: ['size'] }, { required: ['port'] }] }]);
    expect(spec.oneOf).toBeUndefined();
    const p = spec.properties;
    expect(p.size).toStrictEqual({ type: 'integer' });
    expect(p.lid).toStrictEqual({ type: ['string', 'null'], default: 'round' });
    expect(p.port.oneOf).toStrictEqual([{ type: 'integer' }, { type: ['string', 'null'] }]);
    expect(p.colour).toStrictEqual({ type: ['string', 'null'], enum: ['red', null] });
    expect(p.note).toStrictEqual({ type: ['string', 'null'], nullable: true });
    expect(p.shape.anyOf).toStrictEqual([{ type: 'null' }, { not: { required: ['sides'] } }]);
    expect(p.shape.not).toBeUndefined();
    // List items are neither dropped nor defaulted, unless they have a default.
    expect(p.tags.items).toStrictEqual({ type: 'string' });
    expect(p.marks.items).toStrictEqual({ type: ['string', 'null'], default: 'x' });
    expect(p.limits.additionalProperties).toStrictEqual({ type: ['integer', 'null'] });
  });

  it("puts a project's own CRD schema folders after the shipped ones", () => {
    expect(schemaLocations('1.36', ['/ws/crds/schemas']).slice(1)).toStrictEqual([
      join(schemasDir, 'crds-json/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'),
      '/ws/crds/schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json',
    ]);
  });

  it('takes the first proxy of GOPROXY, else the public one', () => {
    expect(goProxy({ GOPROXY: 'https://goproxy.example.com/,direct' })).toBe('https://goproxy.example.com');
    expect(goProxy({ GOPROXY: 'direct' })).toBe('https://proxy.golang.org');
    expect(goProxy({})).toBe('https://proxy.golang.org');
  });
});
