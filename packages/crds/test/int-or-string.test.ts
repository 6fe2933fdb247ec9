import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Layout } from '@strata/project';
import { addCrds } from '../src/index.ts';
import { compile, workspace } from './workspace.ts';

const fixture = join(dirname(dirname(fileURLToPath(import.meta.url))), '__fixtures__', 'gauges.yaml');

const APP = `import { Gauge } from '@strata/crd-models/meters.example.com/v1/Gauge';

export const numbers = new Gauge({ metadata: { name: 'n' }, spec: { surge: 1, unavailable: 0, port: 8080, limits: { cpu: 2 }, steps: [1, 2] } });
export const strings = new Gauge({
  metadata: { name: 's' },
  spec: { surge: '25%', unavailable: '10%', port: 'http', limits: { cpu: '500m' }, steps: ['50%'], label: '3' },
});
// @ts-expect-error an int-or-string is a number or a string
export const surge = new Gauge({ metadata: { name: 'a' }, spec: { surge: true } });
// @ts-expect-error an int-or-string is a number or a string
export const unavailable = new Gauge({ metadata: { name: 'b' }, spec: { unavailable: {} } });
// @ts-expect-error an int-or-string is a number or a string
export const port = new Gauge({ metadata: { name: 'c' }, spec: { port: false } });
// @ts-expect-error an int-or-string is a number or a string
export const limits = new Gauge({ metadata: { name: 'd' }, spec: { limits: { cpu: true } } });
// @ts-expect-error an int-or-string is a number or a string
export const steps = new Gauge({ metadata: { name: 'e' }, spec: { steps: [null] } });
// @ts-expect-error a string whose format is not known is a string
export const label = new Gauge({ metadata: { name: 'f' }, spec: { label: 3 } });
`;

describe('crd add of a CRD with int-or-string fields', () => {
  let ws: { root: string; dispose(): void };
  beforeAll(async () => {
    ws = workspace();
    await addCrds(ws.root, fixture);
  }, 240_000);
  afterAll(() => ws?.dispose());

  it('generates a model that types each of them as number | string, however the CRD marks it', () => {
    expect(compile(ws.root, APP)).toStrictEqual([]);
    // Without the expectations each of those lines fails: the fields are typed, not `any`.
    expect(compile(ws.root, APP.replaceAll('// @ts-expect-error', '//'))).toHaveLength(6);
  });

  it('generates a model that takes a number or a string for them at run time, and nothing else', async () => {
    const { Gauge } = (await import(join(ws.root, Layout.crdModels, 'meters.example.com/v1/Gauge.js'))) as {
      Gauge: new (data: object) => { validate(): void };
    };
    const gauge = (spec: object) => new Gauge({ metadata: { name: 'g' }, spec });
    gauge({ surge: 1, unavailable: 0, port: 8080, limits: { cpu: 2 }, steps: [1] }).validate();
    gauge({ surge: '25%', unavailable: '10%', port: 'http', limits: { cpu: '500m' }, steps: ['50%'], label: '3' }).validate();
    for (const spec of [{ surge: true }, { unavailable: {} }, { port: false }, { limits: { cpu: true } }, { steps: [null] }, { label: 3 }])
      expect(() => gauge(spec).validate(), JSON.stringify(spec)).toThrow();
  });
});
