import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Layout } from '@strata/project';
import { readCrds } from '@strata/schemas/crd';
import { addCrds } from '../src/index.ts';
import { generateModels, generateModelsByGroup, groupModels, MODEL_HEADER } from '../src/models.ts';
import { workspace } from './workspace.ts';

const here = dirname(fileURLToPath(import.meta.url));
const widgets = readFileSync(join(here, '..', '__fixtures__', 'widgets.yaml'), 'utf8');

/** The widget CRD moved to another group and kind: a second group of the same shape. */
const renamed = (group: string, kind: string) =>
  widgets
    .replaceAll('toys.example.com', group)
    .replaceAll('Widget', kind)
    .replaceAll('widgets', `${kind.toLowerCase()}s`)
    .replaceAll('widget', kind.toLowerCase());

// Three groups, one with two kinds, listed with the groups interleaved.
const texts = [widgets, renamed('parts.example.org', 'Gear'), renamed('toys.example.com', 'Gadget'), renamed('zoo.example.net', 'Panda')];
const inputs = texts.flatMap((t) => readCrds(t, 'test.yaml').map((d) => ({ group: d.crd.spec.group, text: d.text })));

describe('models made one group at a time', () => {
  const whole = generateModels(inputs.map((c) => `---\n${c.text.replace(/^---\n/, '')}`).join(''));

  it('are byte for byte the models made of all the CRDs at once', () => {
    expect(inputs.map((c) => c.group)).toStrictEqual(['toys.example.com', 'parts.example.org', 'toys.example.com', 'zoo.example.net']);
    const index = whole.get('index.js')!;
    expect(index.split('\n').filter((l) => l.startsWith('export'))).toHaveLength(3);
    expect(generateModelsByGroup(inputs)).toStrictEqual(whole);
  }, 120_000);

  it('take a group that is already there from the tree, and give the same tree', () => {
    const asked: string[] = [];
    const fromTree = generateModelsByGroup(inputs, (group) => {
      asked.push(group);
      const found = groupModels(
        group,
        [...whole.keys()].filter((f) => f.startsWith(`${group}/`)),
        (f) => whole.get(f),
      );
      expect(found, group).toBeDefined();
      return found;
    });
    expect(asked).toStrictEqual(['toys.example.com', 'parts.example.org', 'zoo.example.net']);
    expect(fromTree).toStrictEqual(whole);
  });

  it('are not taken from a tree that misses one of the files or holds a file not generated', () => {
    const group = 'parts.example.org';
    const folder = [...whole.keys()].filter((f) => f.startsWith(`${group}/`));
    const validator = [...whole.keys()].find((f) => f.startsWith('_schemas/PartsExampleOrg') && f.endsWith('.js'))!;
    expect(groupModels(group, folder, (f) => (f === validator ? undefined : whole.get(f)))).toBeUndefined();
    expect(groupModels(group, folder, (f) => (f === folder[0] ? whole.get(f)!.replace(MODEL_HEADER, '') : whole.get(f)))).toBeUndefined();
    expect(groupModels(group, folder, (f) => (f === 'index.js' ? MODEL_HEADER : whole.get(f)))).toBeUndefined();
  });
});

describe('crd add', () => {
  it('keeps the models of a group whose CRDs did not change, and makes those of a group that did', async () => {
    const ws = workspace();
    try {
      const file = (name: string, text: string) => {
        const path = join(ws.root, name);
        writeFileSync(path, text);
        return path;
      };
      await addCrds(ws.root, file('widgets.yaml', widgets));
      // A mark in a kept model file survives the next add only if the file is taken as it is.
      const kept = join(ws.root, Layout.crdModels, 'toys.example.com', 'v1', 'Widget.js');
      writeFileSync(kept, `${readFileSync(kept, 'utf8')}// kept\n`);
      const r = await addCrds(ws.root, file('gears.yaml', renamed('parts.example.org', 'Gear')));
      expect(readFileSync(kept, 'utf8')).toMatch(/\/\/ kept\n$/);
      expect(r.written).toContain(`${Layout.crdModels}/parts.example.org/v1/Gear.js`);
      expect(readFileSync(join(ws.root, Layout.crdModels, 'index.js'), 'utf8')).toBe(
        `${MODEL_HEADER}export * as toysExampleCom from "./toys.example.com/index.js";\nexport * as partsExampleOrg from "./parts.example.org/index.js";\n`,
      );
      // A CRD of the group changed: its models are made again.
      await addCrds(ws.root, file('widgets2.yaml', widgets.replace('minimum: 1', 'minimum: 2')));
      expect(readFileSync(kept, 'utf8')).not.toContain('// kept');
    } finally {
      ws.dispose();
    }
  }, 240_000);
});

describe('models of a CRD the model generator refuses', () => {
  it('say in one line that the CRDs can be added without typed models', () => {
    // kube-apiserver stores this CRD (with a warning); the generator's validator compiler refuses the
    // format it does not know (int-or-string, which the models read as the server does, apart).
    const odd = widgets.replace(
      '                size:\n                  type: integer\n',
      '                size:\n                  type: string\n                  format: percentage\n',
    );
    expect(odd).not.toBe(widgets);
    expect(() => generateModels(odd)).toThrow(
      /^@kubernetes-models\/crd-generate failed: .*percentage.*; add the CRDs without typed models: strata crd add --no-models$/,
    );
  });
});
