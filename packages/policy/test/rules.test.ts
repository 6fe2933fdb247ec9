import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podSecurityRules, rules } from '../src/index.ts';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const invalid = readdirSync(join(root, '__fixtures__', 'invalid'));

describe('the rule set', () => {
  it('has unique kebab-case ids', () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it.each(rules.map((r) => [r.id]))('%s has its file, its test, a broken fixture and a README row', (id) => {
    expect(existsSync(join(root, 'src', 'rules', `${id}.ts`))).toBe(true);
    expect(existsSync(join(root, 'test', 'rules', `${id}.test.ts`))).toBe(true);
    expect(invalid.some((f) => f.startsWith(`${id}--`))).toBe(true);
    expect(readme).toContain(`| \`${id}\` |`);
  });

  it('has no rule file that is not registered', () => {
    const files = readdirSync(join(root, 'src', 'rules')).map((f) => f.replace(/\.ts$/, ''));
    expect(files.sort()).toStrictEqual(rules.map((r) => r.id).sort());
  });
});

describe('the Pod Security rules', () => {
  it('are exactly the rules that name a Pod Security control, and come first', () => {
    expect(rules.filter((r) => r.podSecurity !== undefined)).toStrictEqual(podSecurityRules);
    expect(rules.slice(0, podSecurityRules.length)).toStrictEqual(podSecurityRules);
  });

  it.each(podSecurityRules.map((r) => [r.id, r.podSecurity]))('%s has a README row naming its control %s', (id, control) => {
    expect(readme).toContain(`| \`${id}\` | ${control} |`);
  });
});
