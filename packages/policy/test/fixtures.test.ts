import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseObjects, runPolicy, type PolicyContext } from '../src/index.ts';

const dir = join(import.meta.dirname, '..', '__fixtures__');
const files = (kind: 'invalid' | 'valid') =>
  readdirSync(join(dir, kind))
    .filter((f) => f.endsWith('.yaml'))
    .sort();

interface Header {
  readonly expect: { rule: string; message: string }[];
  readonly ctx: PolicyContext;
}

/** Leading comments configure the run: `# expect: <rule>: <message part>`, `# env: dev`, `# single-replica: true`. */
function header(text: string): Header {
  const expected: { rule: string; message: string }[] = [];
  let env: PolicyContext['env'] = 'prod';
  let singleReplica = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = /^# (expect|env|single-replica): (.*)$/.exec(line);
    if (m?.[1] === 'expect') {
      const [rule, ...rest] = (m[2] ?? '').split(': ');
      expected.push({ rule: rule ?? '', message: rest.join(': ') });
    }
    if (m?.[1] === 'env') env = m[2] as PolicyContext['env'];
    if (m?.[1] === 'single-replica') singleReplica = m[2] === 'true';
  }
  return { expect: expected, ctx: { env, singleReplica } };
}

function run(kind: 'invalid' | 'valid', file: string) {
  const text = readFileSync(join(dir, kind, file), 'utf8');
  const { expect: expected, ctx } = header(text);
  return { expected, findings: runPolicy(parseObjects(text, file), ctx) };
}

describe('invalid fixtures', () => {
  it('are at least 40', () => expect(files('invalid').length).toBeGreaterThanOrEqual(40));

  it.each(files('invalid'))('%s reports exactly what it expects', (file) => {
    const { expected, findings } = run('invalid', file);
    expect(expected.length, 'the fixture needs a "# expect: <rule>: <message>" first line').toBeGreaterThan(0);
    expect(file.startsWith(`${expected[0]?.rule}--`), 'the file is named after its first expected rule').toBe(true);
    for (const e of expected) {
      const messages = findings.filter((f) => f.rule === e.rule).map((f) => f.message);
      expect(
        messages.some((m) => m.includes(e.message)),
        `${e.rule}: "${e.message}" among ${JSON.stringify(messages)}`,
      ).toBe(true);
    }
    // A fixture breaks one thing on purpose: any other finding means the fixture (or a rule) is wrong.
    expect([...new Set(findings.map((f) => f.rule))].sort()).toStrictEqual([...new Set(expected.map((e) => e.rule))].sort());
  });
});

describe('valid fixtures', () => {
  it('are at least 20', () => expect(files('valid').length).toBeGreaterThanOrEqual(20));

  it.each(files('valid'))('%s has no findings', (file) => {
    const { findings } = run('valid', file);
    expect(
      findings.map((f) => `${f.object.manifest.kind}/${f.object.manifest.metadata.name} ${f.path ?? ''}: ${f.message} [${f.rule}]`),
    ).toStrictEqual([]);
  });
});
