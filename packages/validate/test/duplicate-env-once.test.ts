import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { validate } from '../src/index.ts';

const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-env-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deployment = (name: string, container: string[]) =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    '  namespace: shop',
    'spec:',
    '  selector:',
    `    matchLabels: {app: ${name}}`,
    '  template:',
    `    metadata: {labels: {app: ${name}}}`,
    '    spec:',
    '      containers:',
    '        - name: web',
    '          image: registry.example/web:1',
    ...container.map((l) => `          ${l}`),
  ].join('\n');

const ENV_TWICE = deployment('env-twice', ['env:', '  - {name: A, value: "1"}', '  - {name: B, value: "2"}', '  - {name: A, value: "3"}']);
const PORT_TWICE = deployment('port-twice', ['ports:', '  - {name: a, containerPort: 80}', '  - {name: b, containerPort: 80}']);
const DUPLICATES = ['duplicate-list-key', 'no-duplicate-env'];

describe('an env variable set twice in one container', () => {
  it('is reported once, by the policy rule that names the container and both entries, with what server-side apply does', async () => {
    const file = join(dir, 'env-twice.yaml');
    writeFileSync(file, `${ENV_TWICE}\n`);
    const r = await validate(repo, [file], { serverChecks: false });
    expect(r.problems.filter((p) => DUPLICATES.includes(p.rule)).map((p) => [p.rule, p.line, p.path, p.message])).toStrictEqual([
      [
        'no-duplicate-env',
        18,
        'spec.template.spec.containers[0].env[2].name',
        'Container "web" sets A twice (env[0] and env[2]) and only the last one takes effect (server-side apply refuses the list): keep one.',
      ],
    ]);
  });

  it('is still reported once, as a list server-side apply refuses, where the policy does not run', async () => {
    const file = join(dir, 'env-twice.yaml');
    writeFileSync(file, `${ENV_TWICE}\n`);
    const r = await validate(repo, [file], { serverChecks: false, policy: false });
    expect(r.problems.filter((p) => DUPLICATES.includes(p.rule)).map((p) => [p.rule, p.line, p.path])).toStrictEqual([
      ['duplicate-list-key', 15, 'spec.template.spec.containers[0].env'],
    ]);
  });

  it('leaves the keyed lists the policy rule does not look at to the keyed-list check', async () => {
    const file = join(dir, 'port-twice.yaml');
    writeFileSync(file, `${PORT_TWICE}\n`);
    const r = await validate(repo, [file], { serverChecks: false });
    expect(r.problems.filter((p) => DUPLICATES.includes(p.rule)).map((p) => [p.rule, p.path])).toStrictEqual([
      ['duplicate-list-key', 'spec.template.spec.containers[0].ports'],
    ]);
  });
});
