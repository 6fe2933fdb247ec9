import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { committedObjectMetaDefinitions, crdSchemas, goProxy, inlineShared, readCrds, schemaText } from '../src/crd.mjs';
import { crdManifestsDir, crdSchemasDir, SHARED_DEF, schemaLocations, schemasDir } from '../src/index.ts';

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

  it('writes each large subschema a CRD repeats once, and puts back exactly the schema it shared', () => {
    let shared = 0;
    for (const file of readdirSync(crdManifestsDir).filter((f) => f.endsWith('.yaml'))) {
      for (const { crd } of readCrds(readFileSync(join(crdManifestsDir, file), 'utf8'), file)) {
        const whole = crdSchemas(crd, committedObjectMetaDefinitions(), file, { share: false });
        crdSchemas(crd, committedObjectMetaDefinitions(), file).forEach((s, i) => {
          const names = Object.keys(s.schema.$defs as object).filter((n) => n.startsWith(SHARED_DEF));
          shared += names.length;
          // Every definition is pointed at at least twice: one copy would be better inline.
          const text = JSON.stringify(s.schema);
          for (const name of names) expect(text.split(`"#/$defs/${name}"`).length - 1, `${file} ${name}`).toBeGreaterThan(1);
          expect(inlineShared(s.schema), `${file} ${s.file}`).toStrictEqual(whole[i]!.schema);
        });
      }
    }
    expect(shared).toBeGreaterThan(0);
    // Argo CD's ApplicationSet repeats its Application template: 2.1 MB as one tree.
    expect(readFileSync(join(crdSchemasDir, 'argoproj.io/applicationset_v1alpha1.json')).length).toBeLessThan(200_000);
  });

  it('refuses a CRD whose name is not <plural>.<group>, naming the file', () => {
    const text =
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things\nspec:\n  group: example.com\n  names: {kind: Thing, plural: things}\n  versions: []\n';
    expect(() => readCrds(text, 'things.yaml')).toThrow(
      'things.yaml: CustomResourceDefinition things: metadata.name: must be named things.example.com (<plural>.<group>), as the API server requires; rename it, or fix spec.names.plural or spec.group',
    );
    expect(readCrds('apiVersion: v1\nkind: ConfigMap\n', 'cm.yaml')).toStrictEqual([]);
  });

  it('takes null only where the server gives the field its default, and refuses it elsewhere as server-side apply does', () => {
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
      '                spoutPort: {x-kubernetes-int-or-string: true, default: 80}',
      '                colour: {type: string, enum: [red]}',
      '                glaze: {type: string, enum: [red], default: red}',
      '                note: {type: string, nullable: true}',
      '                free: {type: object, x-kubernetes-preserve-unknown-fields: true}',
      '                shape: {type: object, properties: {sides: {type: integer}}, not: {required: [sides]}, default: {}}',
      '                tags: {type: array, items: {type: string}}',
      '                marks: {type: array, items: {type: string, default: x}}',
      '                limits: {type: object, additionalProperties: {x-kubernetes-int-or-string: true}}',
      '                counts: {type: object, additionalProperties: {type: integer, default: 1}}',
    ].join('\n');
    const { crd } = readCrds(text, 'pots.yaml')[0]!;
    // biome-ignore lint/suspicious/noExplicitAny: a schema is read field by field here
    const spec = (crdSchemas(crd, committedObjectMetaDefinitions(), 'pots.yaml')[0]!.schema as any).properties.spec;
    // An apply refuses a null spec; one required with a default is defaulted, so not required.
    expect(spec.type).toBe('object');
    expect(spec.required).toStrictEqual(['size']);
    expect(spec.oneOf).toStrictEqual([{ required: ['size'] }, { required: ['port'] }]);
    const p = spec.properties;
    // Without a default, null is refused whatever the type.
    expect(p.size).toStrictEqual({ type: 'integer' });
    expect(p.port.oneOf).toStrictEqual([{ type: 'integer' }, { type: 'string' }]);
    expect(p.colour).toStrictEqual({ type: 'string', enum: ['red'] });
    expect(p.free).toStrictEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(p.tags).toStrictEqual({ type: 'array', items: { type: 'string' } });
    expect(p.limits.additionalProperties).toStrictEqual({ oneOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true });
    expect(p.note).toStrictEqual({ type: ['string', 'null'], nullable: true });
    // With one, null is given the default: it matches one branch and no value check.
    expect(p.lid).toStrictEqual({ type: ['string', 'null'], default: 'round' });
    expect(p.spoutPort.oneOf).toStrictEqual([{ type: 'integer' }, { type: ['string', 'null'] }]);
    expect(p.glaze).toStrictEqual({ type: ['string', 'null'], enum: ['red', null], default: 'red' });
    expect(p.shape.anyOf).toStrictEqual([{ type: 'null' }, { not: { required: ['sides'] } }]);
    expect(p.shape.not).toBeUndefined();
    expect(p.marks.items).toStrictEqual({ type: ['string', 'null'], default: 'x' });
    expect(p.counts.additionalProperties).toStrictEqual({ type: ['integer', 'null'], default: 1 });
  });

  it("puts a project's own CRD schema folders after the shipped ones", () => {
    expect(schemaLocations('1.36', ['/ws/crds/schemas']).slice(0, 2)).toStrictEqual([
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
