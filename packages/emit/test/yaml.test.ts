import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { dumpYaml, fastYaml, YAML_OPTIONS } from '../src/yaml.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}

/** Strings that YAML 1.1 or 1.2 readers (go-yaml among them) could take for something else, or that need quoting or several lines. */
const AWKWARD = [
  ...['y', 'Y', 'n', 'N', 'yes', 'No', 'ON', 'off', 'true', 'False', 'TRUE'],
  ...['~', 'null', 'Null', 'NULL', ''],
  ...['0', '0755', '0o17', '0x1f', '0b101', '1_000', '+12', '-0', '1:20', '190:20:30', '12e03', '1e3', '-1.5', '.5', '1.', '1.0'],
  ...['.inf', '-.Inf', '.NaN', '.nan', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2002-12-14 21:59:43.10 -5', '<<', '='],
  ...['0O17', '0B1', '0X1F', '-0o1', '0o1_7', '+_1', '0_x1F', '1e_3', '.5e1_0', '2006-1-2 15:4:5', '0x1p3', '_1'],
  ...[' lead', 'trail ', 'a: b', 'a:b', 'a :b', 'a #b', 'a#b', '#c', '- x', '-', '-c', '--v', '?', '? x', '?x', ':', ':x', 'x:'],
  ...[',x', '[x', 'x]', '{x}', '&a', '*a', '!x', '!!str', '|', '>', "'q'", '"q"', "it's", 'say "hi"', '%x', '@x', '`x'],
  ...['---', '...', '--- x', '... x', '%YAML 1.1', 'a\nb', 'a\n', '\n', 'a\n\n', '  indented\nblock', '\ttab', 'tab\tinside'],
  ...['x\u2028y', 'x\u2029y', 'x\u0085y', 'x\u00a0y', 'é', '日本', '\u{1F600}', '\u0000', '\u0007bell', '\\', 'C:\\path', 'a\\nb'],
  ...['http://example.com/a?b=c#d', 'nginx.ingress.kubernetes.io/rewrite-target', '/$2', '*.example.com', 'app.kubernetes.io/name'],
  'x'.repeat(1100),
  `${'word '.repeat(60)}end`,
];

const NUMBERS = [0, 1, -1, 42, 65535, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 1.5, -0.25, 1e21, -0, 3e-7];

/** Documents in which each value sits as a map value, a key, a list item, and inside lists of maps. */
function documents(values: readonly unknown[]): Record<string, unknown>[] {
  return values.flatMap((v) => {
    const docs: Record<string, unknown>[] = [
      { apiVersion: 'v1', kind: 'ConfigMap', data: { key: v } },
      { list: [v, 'plain', v], nested: { deeper: { value: v } } },
      { items: [{ name: 'a', value: v, ports: [{ port: 80 }] }, { name: v }], empty: {}, none: [] },
      { outer: [{ inner: [v, { k: v }] }, {}, null] },
      { lists: [[v], ['x']] },
    ];
    if (typeof v === 'string') docs.push({ [v]: 'value', other: { [v]: [v] } });
    return docs;
  });
}

describe('dumpYaml writes what the yaml library writes, faster where it can', () => {
  it('byte for byte on every committed generated file, and the fast path writes nearly all of them', () => {
    const files = ['base', 'overlays', 'gitops'].flatMap((d) => yamlFiles(join(repo, d)));
    expect(files.length).toBeGreaterThan(150);
    let fast = 0;
    for (const file of files) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'), { version: '1.1' })) {
        const value: unknown = doc.toJS();
        expect(dumpYaml(value), file).toBe(stringify(value, YAML_OPTIONS));
        if (fastYaml(value) !== undefined) fast++;
      }
    }
    // The committed tree has a few multi-line values (scripts, config files); the rest is fast.
    expect(fast / files.length).toBeGreaterThan(0.85);
  });

  it('byte for byte on awkward strings and numbers as values, keys and list items', () => {
    const docs = documents([...AWKWARD, ...NUMBERS, true, false, null]);
    for (const doc of docs) expect(dumpYaml(doc), JSON.stringify(doc).slice(0, 200)).toBe(stringify(doc, YAML_OPTIONS));
  });

  it('byte for byte on words it writes without the library: letters, digits and -._/@: in every short combination and at random', () => {
    const alphabet = ['a', 'e', 'E', 'n', 'O', 'x', 'y', 'Z', '0', '1', '9', '-', '.', '_', '/', ':', '@'];
    const words = new Set<string>(['on', 'Off', 'YES', 'nO', 'Null', 'e3', 'E10', 'e-1', 'e1.5', 'x1', 'a.b.c', 'a/', 'inf', 'nan', 'Infinity']);
    words.add('registry.example.com/team/app@sha256:0a1b2c3d4e5f').add('/healthz').add('a:').add('a::b').add('/:').add('e:1').add('/e');
    for (const a of alphabet) for (const b of alphabet) for (const c of ['', ...alphabet]) words.add(`${a}${b}${c}`);
    let seed = 17;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 1000; i++) words.add(Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join(''));
    // As a key, a value and a list item; the other places are covered above.
    for (const w of words) {
      const doc = { [w]: w, list: [w] };
      expect(dumpYaml(doc), w).toBe(stringify(doc, YAML_OPTIONS));
    }
  });

  it('leaves to the library what it cannot write the same way', () => {
    expect(fastYaml({ script: 'line one\nline two\n' })).toBeUndefined();
    expect(fastYaml({ lists: [['a']] })).toBeUndefined();
    expect(fastYaml({ ratio: 0.5 })).toBeUndefined();
    expect(fastYaml({ marker: '--- x' })).toBeUndefined();
    expect(fastYaml({ [`${'k'.repeat(1100)}`]: 1 })).toBeUndefined();
    // ...and writes the usual shapes itself, quoting as the library does.
    expect(fastYaml({ apiVersion: 'v1', kind: 'ConfigMap', data: { PORT: '8080', on: 'yes', args: ['-c', '--v=1'] } })).toBe(
      'apiVersion: v1\nkind: ConfigMap\ndata:\n  PORT: "8080"\n  "on": "yes"\n  args:\n    - -c\n    - --v=1\n',
    );
  });
});
