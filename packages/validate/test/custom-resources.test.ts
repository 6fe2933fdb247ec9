import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { validate } from '../src/index.ts';

const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-custom-resources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The first test to ask on a fresh machine builds the helper (minutes, once per machine).
beforeAll(() => ensureHelper(), 20 * 60_000);

const CRD = [
  'apiVersion: apiextensions.k8s.io/v1',
  'kind: CustomResourceDefinition',
  'metadata:',
  '  name: lamps.lights.example.com',
  'spec:',
  '  group: lights.example.com',
  '  scope: Namespaced',
  '  names: {plural: lamps, singular: lamp, kind: Lamp, listKind: LampList}',
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
  '              required: [watts]',
  '              x-kubernetes-validations:',
  '                - rule: "self.watts <= self.maxWatts"',
  '                  message: watts must not be above maxWatts',
  '              properties:',
  '                watts: {type: integer, minimum: 1}',
  '                maxWatts: {type: integer, default: 60}',
  '                shade:',
  '                  type: object',
  '                  properties:',
  '                    colour: {type: string, enum: [white, amber]}',
].join('\n');

const lamp = (name: string, spec: string[]) =>
  ['---', 'apiVersion: lights.example.com/v1', 'kind: Lamp', 'metadata:', `  name: ${name}`, 'spec:', ...spec].join('\n');

describe('validate with the CRDs that come with the custom resources', () => {
  it("reports what the CRD's schema and rules refuse, at the field's line, and no missing schema", async () => {
    const text = [
      CRD,
      lamp('good', ['  watts: 40']), // lines 30-36
      lamp('deep', ['  watts: 40', '  shade:', '    colour: amber', '    size: 3']), // 37-46
      lamp('bright', ['  watts: 100']), // 47-53
      lamp('typo', ['  wats: 40']), // 54-60
    ].join('\n');
    writeFileSync(join(dir, 'lamps.yaml'), `${text}\n`);
    const r = await validate(repo, [join(dir, 'lamps.yaml')], { policy: false });
    expect(r.notes).toStrictEqual([]);
    expect(r.problems.map((p) => [p.rule, p.name, p.line, p.path ?? '', p.message])).toStrictEqual([
      ['server-validation', 'deep', 46, 'spec.shade.size', 'unknown field (strict field validation)'],
      // A rule of spec and a field missing from it are at the line of `spec:`.
      ['server-validation', 'bright', 52, 'spec', 'Invalid value: watts must not be above maxWatts'],
      ['server-validation', 'typo', 59, 'spec.watts', 'Required value'],
      ['server-validation', 'typo', 60, 'spec.wats', 'unknown field (strict field validation)'],
    ]);
  });

  it('reports a CRD the server would refuse, and leaves its custom resources to the schema check', async () => {
    const broken = CRD.replace('                watts: {type: integer, minimum: 1}', '                watts: {minimum: 1}');
    writeFileSync(join(dir, 'broken.yaml'), `${broken}\n${lamp('good', ['  watts: 40'])}\n`);
    const r = await validate(repo, [join(dir, 'broken.yaml')], { policy: false });
    expect(r.problems.map((p) => [p.rule, p.kind, p.path ?? ''])).toStrictEqual([
      ['server-validation', 'CustomResourceDefinition', 'spec.validation.openAPIV3Schema.properties[spec].properties[watts].type'],
      ['schema', 'Lamp', ''],
    ]);
  });

  it('checks custom resources against the CRDs the repository keeps, CEL rules included, which no schema file says', async () => {
    const route = (backendRef: string) =>
      [
        'apiVersion: gateway.networking.k8s.io/v1',
        'kind: HTTPRoute',
        'metadata:',
        '  name: web',
        'spec:',
        '  parentRefs:',
        '    - name: gateway',
        '  rules:',
        '    - backendRefs:',
        `        - ${backendRef}`,
      ].join('\n');
    writeFileSync(join(dir, 'route.yaml'), `${route('name: web')}\n`);
    writeFileSync(join(dir, 'route-with-port.yaml'), `${route('{name: web, port: 80}')}\n`);
    const r = await validate(repo, [join(dir, 'route.yaml'), join(dir, 'route-with-port.yaml')], { policy: false });
    expect(r.problems.map((p) => [p.rule, p.file.endsWith('route.yaml'), p.line, p.path, p.message])).toStrictEqual([
      ['server-validation', true, 10, 'spec.rules[0].backendRefs[0]', 'Invalid value: Must have port for Service reference'],
    ]);
  });

  it("checks custom resources against the project's own CRDs in crds/, as strata verify installs them", async () => {
    const project = mkdtempSync(join(tmpdir(), 'strata-own-crds-'));
    try {
      // The project's tools are the repository's.
      symlinkSync(join(repo, '.tools'), join(project, '.tools'));
      mkdirSync(join(project, 'crds'));
      writeFileSync(join(project, 'crds', 'lights.example.com_lamps.yaml'), `${CRD}\n`);
      writeFileSync(join(project, 'lamps.yaml'), `${lamp('bright', ['  watts: 100'])}\n${lamp('good', ['  watts: 40'])}\n`);
      const r = await validate(project, [join(project, 'lamps.yaml')], { policy: false });
      expect(r.problems.map((p) => [p.rule, p.name, p.path, p.message])).toStrictEqual([
        ['server-validation', 'bright', 'spec', 'Invalid value: watts must not be above maxWatts'],
      ]);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
