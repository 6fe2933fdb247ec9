import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { findRoot, Layout, UsageError } from '@strata/project';
import { validate } from '@strata/validate';
import { addCrds, listCrds, MODEL_HEADER, removeCrds } from '../src/index.ts';

const repo = findRoot();
const fixture = join(dirname(dirname(fileURLToPath(import.meta.url))), '__fixtures__', 'widgets.yaml');

/**
 * A throw-away workspace: kubeconform and the decoder from the real one's .tools, and the model
 * package linked so that an app resolves `@strata/crd-models` as it would in the workspace.
 */
function workspace(): { root: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'strata-crds-'));
  writeFileSync(join(root, Layout.workspaceFile), 'packages:\n  - packages/*\n');
  symlinkSync(join(repo, '.tools'), join(root, '.tools'));
  mkdirSync(join(root, 'packages', 'crd-models'), { recursive: true });
  writeFileSync(join(root, 'packages', 'crd-models', 'package.json'), readFileSync(join(repo, 'packages', 'crd-models', 'package.json')));
  symlinkSync(join(repo, 'packages', 'crd-models', 'node_modules'), join(root, 'packages', 'crd-models', 'node_modules'));
  mkdirSync(join(root, 'node_modules', '@strata'), { recursive: true });
  symlinkSync(join(root, 'packages', 'crd-models'), join(root, 'node_modules', '@strata', 'crd-models'));
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** Every file of the tree (links not followed, Strata's own state left out), with its content. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const file = join(e.parentPath, e.name);
    const rel = relative(root, file);
    if (!e.isFile() || rel.startsWith('.strata') || rel.startsWith('node_modules') || rel.includes('/node_modules')) continue;
    out[rel] = readFileSync(file, 'utf8');
  }
  return out;
}

const widget = (spec: string) => `apiVersion: toys.example.com/v1
kind: Widget
metadata:
  name: w
  namespace: toys
spec:
${spec}
`;

/** The schema problems of one YAML text, run through the project's validate (real kubeconform). */
async function schemaProblems(root: string, yaml: string): Promise<string[]> {
  const file = join(root, `check-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  try {
    const r = await validate(root, [file], { policy: false });
    return r.problems.filter((p) => p.rule === 'schema').map((p) => `${p.path ?? ''}: ${p.message}`);
  } finally {
    rmSync(file);
  }
}

/** Compiles one app module with the workspace's compiler settings; returns the diagnostics. */
function compile(root: string, source: string): string[] {
  const dir = join(root, 'apps', 'toys', 'src');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'app.ts'), source);
  const base = ts.readConfigFile(join(repo, 'tsconfig.base.json'), ts.sys.readFile).config as { compilerOptions: object };
  const { options } = ts.convertCompilerOptionsFromJson({ ...base.compilerOptions, types: [] }, root);
  try {
    const program = ts.createProgram([join(dir, 'app.ts')], options);
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
  } finally {
    rmSync(join(root, 'apps'), { recursive: true, force: true });
  }
}

const APP = `import { Widget } from '@strata/crd-models/toys.example.com/v1/Widget';
import { Widget as OldWidget } from '@strata/crd-models/toys.example.com/v1beta1/Widget';

export const widget = new Widget({ metadata: { name: 'w' }, spec: { size: 2, colour: 'red', port: 'http', parts: [{ name: 'bolt', count: 3 }] } });
export const old = new OldWidget({ metadata: { name: 'o' }, spec: { size: 1 } });
// @ts-expect-error colour is one of red, green and blue
export const pink = new Widget({ metadata: { name: 'p' }, spec: { size: 1, colour: 'pink' } });
// @ts-expect-error a field the CRD does not declare
export const typo = new Widget({ metadata: { name: 't' }, spec: { size: 1, sise: 2 } });
`;

describe('crd add from a file', () => {
  let ws: { root: string; dispose(): void };
  let before: Record<string, string>;
  beforeAll(async () => {
    ws = workspace();
    before = snapshot(ws.root);
    await addCrds(ws.root, fixture);
  });
  afterAll(() => ws.dispose());

  it('keeps the CRD with a header naming its source, and lists it', () => {
    const kept = readFileSync(join(ws.root, 'crds', 'toys.example.com_widgets.yaml'), 'utf8');
    expect(kept.split('\n')[0]).toBe(`# Code generated by strata crd add from ${fixture}. DO NOT EDIT.`);
    expect(kept).toContain('name: widgets.toys.example.com');
    expect(listCrds(ws.root)).toStrictEqual([
      { name: 'widgets.toys.example.com', group: 'toys.example.com', kind: 'Widget', versions: ['v1', 'v1beta1'], source: fixture },
    ]);
  });

  it('writes a strict schema per served version', () => {
    const schema = JSON.parse(readFileSync(join(ws.root, 'crds/schemas/toys.example.com/widget_v1.json'), 'utf8'));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.spec.additionalProperties).toBe(false);
    expect(schema.properties.spec.properties.port.oneOf).toStrictEqual([{ type: 'integer' }, { type: 'string' }]);
    expect(schema.properties.spec.properties.extra.additionalProperties).toBeUndefined();
    expect(existsSync(join(ws.root, 'crds/schemas/toys.example.com/widget_v1beta1.json'))).toBe(true);
  });

  it('validates a widget strictly: the valid one passes, an unknown field and a wrong type do not', async () => {
    expect(await schemaProblems(ws.root, widget('  size: 2\n  port: 8080\n  parts:\n    - name: bolt\n  extra:\n    anything: goes'))).toStrictEqual([]);
    const unknown = await schemaProblems(ws.root, widget('  size: 2\n  sise: 3'));
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toContain('spec.sise');
    expect(unknown[0]).toContain('unknown field');
    expect(await schemaProblems(ws.root, widget('  size: 2\n  parts:\n    - name: bolt\n      colour: red'))).toHaveLength(1);
    expect((await schemaProblems(ws.root, widget('  size: 0'))).join()).toContain('spec.size');
  });

  it('generates a typed model an app compiles against, and that rejects wrong fields at compile time', () => {
    const header = readFileSync(join(ws.root, Layout.crdModels, 'toys.example.com/v1/Widget.d.ts'), 'utf8');
    expect(header.startsWith(MODEL_HEADER)).toBe(true);
    expect(compile(ws.root, APP)).toStrictEqual([]);
    // Without the expectations the same lines fail: the model is typed, not `any`.
    expect(compile(ws.root, APP.replaceAll('// @ts-expect-error', '//')).length).toBeGreaterThanOrEqual(2);
  });

  it('gives a model that validates at run time like the schema', async () => {
    const { Widget } = (await import(join(ws.root, Layout.crdModels, 'toys.example.com/v1/Widget.js'))) as {
      Widget: new (data: object) => { validate(): void; toJSON(): object };
    };
    const ok = new Widget({ metadata: { name: 'w' }, spec: { size: 1 } });
    ok.validate();
    expect(ok.toJSON()).toStrictEqual({ apiVersion: 'toys.example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } });
    expect(() => new Widget({ metadata: { name: 'w' }, spec: { size: 0 } }).validate()).toThrow('size');
  });

  it('adds the same file again without changing anything', async () => {
    const again = await addCrds(ws.root, fixture);
    expect(again.written).toStrictEqual([]);
    expect(again.removed).toStrictEqual([]);
  });

  it('removes everything it added in one command, leaving the tree as before', () => {
    const r = removeCrds(ws.root, 'toys.example.com');
    expect(r.crds.map((c) => c.name)).toStrictEqual(['widgets.toys.example.com']);
    expect(snapshot(ws.root)).toStrictEqual(before);
    expect(existsSync(join(ws.root, 'crds'))).toBe(false);
    expect(existsSync(join(ws.root, Layout.crdModels))).toBe(false);
  });

  it('refuses to remove what was not added, in one line', () => {
    expect(() => removeCrds(ws.root, 'toys.example.com')).toThrow(UsageError);
    expect(() => removeCrds(ws.root, 'gateway.networking.k8s.io')).toThrow('Strata ships these CRDs');
  });
});

describe('crd add refuses bad input without writing anything', () => {
  let ws: { root: string; dispose(): void };
  beforeAll(() => {
    ws = workspace();
  });
  afterAll(() => ws.dispose());

  it('a file that is no CRD, a broken CRD, a shipped group, an unknown file', async () => {
    const before = snapshot(ws.root);
    const write = (name: string, text: string) => {
      writeFileSync(join(ws.root, name), text);
      return join(ws.root, name);
    };
    await expect(addCrds(ws.root, write('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n'))).rejects.toThrow('no CustomResourceDefinition');
    await expect(addCrds(ws.root, write('bad.yaml', readFileSync(fixture, 'utf8').replace('name: widgets.toys.example.com', 'name: gadgets.toys.example.com')))).rejects.toThrow(
      'must be named widgets.toys.example.com',
    );
    await expect(addCrds(ws.root, write('nover.yaml', readFileSync(fixture, 'utf8').replace(/ {6}schema:\n {8}openAPIV3Schema:\n {10}type: object\n {10}properties:\n {12}apiVersion:\n {14}type: string\n {12}kind:\n {14}type: string\n {12}metadata:\n {14}type: object\n {12}spec:\n {14}type: object\n {14}properties:\n {16}size:\n {18}type: integer\n$/, '')))).rejects.toThrow(
      'v1beta1 has no openAPIV3Schema',
    );
    await expect(addCrds(ws.root, join(repo, 'packages/schemas/crds/gateway.networking.k8s.io_gateways.yaml'))).rejects.toThrow('Strata ships already');
    await expect(addCrds(ws.root, join(ws.root, 'missing.yaml'))).rejects.toThrow('no such file');
    for (const f of ['cm.yaml', 'bad.yaml', 'nover.yaml']) rmSync(join(ws.root, f));
    expect(snapshot(ws.root)).toStrictEqual(before);
  });
});

describe('crd add from a Go module', () => {
  const module = 'example.org/toys';
  const version = 'v1.2.3';
  let ws: { root: string; dispose(): void };
  let server: Server;
  let proxy: string;
  const asked: string[] = [];
  beforeAll(async () => {
    ws = workspace();
    // A module proxy on loopback serving one module zip in the proxy's layout (no network in tests).
    const prefix = `${module}@${version}/`;
    const zip = zipSync({
      [`${prefix}go.mod`]: new TextEncoder().encode(`module ${module}\n\ngo 1.22\n`),
      [`${prefix}config/crd/widgets.yaml`]: new TextEncoder().encode(readFileSync(fixture, 'utf8')),
      [`${prefix}config/crd/kustomization.yaml`]: new TextEncoder().encode('resources:\n  - widgets.yaml\n'),
      [`${prefix}docs/example.yaml`]: new TextEncoder().encode(widget('  size: 1')),
    });
    server = createServer((req, res) => {
      asked.push(req.url ?? '');
      if (req.url === `/${module}/@v/${version}.zip`) {
        res.writeHead(200, { 'content-type': 'application/zip' }).end(Buffer.from(zip));
      } else res.writeHead(404).end('not found');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    proxy = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    ws.dispose();
  });

  it('reads the CRDs of a folder of the module from the proxy and makes strict schemas and a model', async () => {
    const r = await addCrds(ws.root, `${module}@${version}`, 'config/crd', { proxy, modCache: join(ws.root, 'no-cache') });
    expect(asked).toStrictEqual([`/${module}/@v/${version}.zip`]);
    expect(r.crds.map((c) => [c.name, c.source])).toStrictEqual([['widgets.toys.example.com', `${module}@${version} config/crd`]]);
    expect(readFileSync(join(ws.root, 'crds/toys.example.com_widgets.yaml'), 'utf8')).toMatch(/^# Code generated by strata crd add from example\.org\/toys@v1\.2\.3 config\/crd\. DO NOT EDIT\.\n/);
    expect(await schemaProblems(ws.root, widget('  size: 1\n  colour: green'))).toStrictEqual([]);
    expect((await schemaProblems(ws.root, widget('  size: 1\n  shape: round'))).join()).toContain('unknown field');
    expect(compile(ws.root, APP)).toStrictEqual([]);
  });

  it('says which versions exist when the proxy has not the one asked for, in one line', async () => {
    const err = await addCrds(ws.root, `${module}@v9.9.9`, 'config/crd', { proxy, modCache: join(ws.root, 'no-cache') }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`crd add ${module}@v9.9.9 config/crd: the Go module proxy has no ${module}@v9.9.9; list the versions it has with: go list -m -versions ${module}`);
  });

  it('names the folder when the module holds no CRD there', async () => {
    await expect(addCrds(ws.root, `${module}@${version}`, 'docs', { proxy, modCache: join(ws.root, 'no-cache'), models: false })).rejects.toThrow('no CustomResourceDefinition');
  });
});
