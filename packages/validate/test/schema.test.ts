import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { validate } from '../src/index.ts';

const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-schema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  portz: []\n';
const problemsOf = async (files: readonly string[]) =>
  (await validate(repo, files, { policy: false, serverChecks: false })).problems.map((p) => [p.file, p.line, p.rule, p.path, p.message, p.resource]);

describe('schema checks of objects repeated across files', () => {
  it('reports an object repeated in several files in each, at its own lines and with its own hints, as when each file is checked alone', async () => {
    // The same objects as JSON, written differently: the ConfigMap's true is an unquoted yes in one
    // file only, so only that file gets the YAML 1.1 hint.
    const a = write('a.yaml', `${SERVICE}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\ndata:\n  enabled: yes\n`);
    const b = write(
      'b.yaml',
      `# the same objects, two lines lower\n\n${SERVICE}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\ndata:\n  enabled: true\n`,
    );
    // Named by generateName: kubeconform names the verdict differently, so it is checked in each file.
    const generated = 'apiVersion: v1\nkind: Service\nmetadata:\n  generateName: web-\nspec:\n  portz: []\n';
    const c = write('c.yaml', `${generated}---\n${SERVICE}`);
    const d = write('d.yaml', generated);
    const together = await problemsOf([a, b, c, d]);
    const alone = [...(await problemsOf([a])), ...(await problemsOf([b])), ...(await problemsOf([c])), ...(await problemsOf([d]))];
    expect(together).toStrictEqual(alone);
    expect(together.filter((p) => p[2] === 'schema').map((p) => [p[0], p[1], p[3]])).toStrictEqual([
      [a, 6, 'spec.portz'],
      [a, 13, 'data.enabled'],
      [b, 8, 'spec.portz'],
      [b, 15, 'data.enabled'],
      // kubeconform names it `web-{{ generateName }}`: matched to its object and line all the same.
      [c, 6, 'spec.portz'],
      [c, 13, 'spec.portz'],
      [d, 6, 'spec.portz'],
    ]);
    expect(together.find((p) => p[0] === a && p[3] === 'data.enabled' && p[2] === 'schema')?.[4]).toContain('quote it: "yes"');
    expect(together.find((p) => p[0] === b && p[3] === 'data.enabled')?.[4]).not.toContain('quote it');
  });
});

describe('schema checks of objects that kubeconform names alike', () => {
  it('reports each at its own file, line and object, as when each file is checked alone', async () => {
    // kubeconform names an object by apiVersion, kind and name only, and by its generateName
    // whenever it has one, a name beside it or not.
    const both = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  generateName: api-\nspec:\n  portz: []\n';
    // The same name twice in one file, and again in other files, each time with another mistake.
    const twice =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\nbinaryDatta: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndatta: {}\n';
    const e = write('e.yaml', `${both}---\n${twice}`);
    const f = write('f.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\nimmutable: "no"\n');
    const g = write('g.yaml', twice);
    const together = await problemsOf([e, f, g]);
    const alone = [...(await problemsOf([e])), ...(await problemsOf([f])), ...(await problemsOf([g]))];
    expect(together).toStrictEqual(alone);
    expect(together.filter((p) => p[2] === 'schema').map((p) => [p[0], p[1], p[3], p[5]])).toStrictEqual([
      [e, 7, 'spec.portz', `${e}#0`],
      [e, 15, 'binaryDatta', `${e}#1`],
      [e, 21, 'datta', `${e}#2`],
      [f, 5, 'immutable', `${f}#0`],
      [g, 7, 'binaryDatta', `${g}#0`],
      [g, 13, 'datta', `${g}#1`],
    ]);
  });
});

describe('schema checks of strings holding characters that YAML refuses or reads as line breaks', () => {
  it('judge the object kubectl sends: no problem but its own, at its line', async () => {
    // DEL, a C1 control, NEL, the line and paragraph separators and a byte order mark: kubectl and
    // the API server take them in a ConfigMap's value; written into YAML as they are, kubeconform's
    // reader would refuse the document or fold the value.
    const odd = write(
      'odd.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: odd\ndata:\n  k: "a\\x7fb\\x80c\\u0085d\\u2028e\\u2029f\\ufeffg"\ndatta: {}\n',
    );
    const problems = await problemsOf([odd]);
    expect(problems).toStrictEqual([
      [odd, 7, 'schema', 'datta', 'unknown field (not in the schema); check its spelling and indentation', `${odd}#0`],
    ]);
  });
});
