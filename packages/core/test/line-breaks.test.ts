import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ObjectError, toManifest } from '../src/index.ts';

const repo = join(import.meta.dirname, '..', '..', '..');
const kustomize = join(repo, '.tools', 'bin', 'kustomize');
const BREAKS = ['\u0085', '\u2028', '\u2029'];
const configMap = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data }) as never;

describe('text that kustomize build cannot carry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-breaks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is changed by the real kustomize build however the base escapes it', () => {
    for (const c of BREAKS) {
      const escaped = `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n- cm.yaml\n');
      writeFileSync(join(dir, 'cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  k: "a${escaped}b"\n`);
      const built = execFileSync(kustomize, ['build', dir], { encoding: 'utf8' });
      const line = built.split('\n').find((l) => l.trimStart().startsWith('k:'));
      // Whatever kustomize wrote, it is not the value written in the base, escaped as YAML and JSON write it.
      expect(line).toBeDefined();
      expect(line!.trim()).not.toBe(`k: "a${escaped}b"`);
      expect(line!.trim()).not.toBe(`k: a${c}b`);
    }
  });

  it('is refused when an object is rendered, at its field, naming the character', () => {
    for (const c of BREAKS) {
      expect(() => toManifest(configMap({ plain: 'x', k: `a${c}b` }), 'app odd env dev')).toThrow(ObjectError);
      expect(() => toManifest(configMap({ plain: 'x', k: `a${c}b` }), 'app odd env dev')).toThrow(/data\.k.*U\+[0-9A-F]{4} .*kustomize build/);
    }
    const inKey = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { ['a\u2028b']: 'v' } } as never;
    expect(() => toManifest(inKey, 'app odd')).toThrow(/the key holds U\+2028/);
    const inList = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'nginx:1.27', args: ['--ok', 'x\u2029y'] }] },
    } as never;
    expect(() => toManifest(inList, 'app odd')).toThrow(/spec\.containers\[0\]\.args\[1\]: .*U\+2029/);
    // A newline, a tab or any other text is carried as it is.
    expect(toManifest(configMap({ k: 'a\nb\tc é 😀 \u00a0' }), 'app ok').data).toStrictEqual({ k: 'a\nb\tc é 😀 \u00a0' });
  });

  it('half of a surrogate pair: the real kustomize build refuses its escape, and rendering refuses it at its field', () => {
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n- cm.yaml\n');
    writeFileSync(
      join(dir, 'cm.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  k: ${JSON.stringify('note \ud83d')}\n`,
    );
    expect(() => execFileSync(kustomize, ['build', dir], { encoding: 'utf8', stdio: 'pipe' })).toThrow(/invalid Unicode character escape/);
    const cut = 'note 😀'.slice(0, 6);
    expect(() => toManifest(configMap({ plain: 'x', k: cut }), 'app odd env dev')).toThrow(ObjectError);
    expect(() => toManifest(configMap({ plain: 'x', k: cut }), 'app odd env dev')).toThrow(/data\.k: the text holds U\+D83D, half of a character/);
    const inKey = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { ['\ude00x']: 'v' } } as never;
    expect(() => toManifest(inKey, 'app odd')).toThrow(/the key holds U\+DE00/);
    // A whole pair is a character like any other.
    expect(toManifest(configMap({ k: 'note 😀' }), 'app ok').data).toStrictEqual({ k: 'note 😀' });
  });

  it('the merge key: the real kustomize build drops a key "<<" however it is written', () => {
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n- thing.yaml\n');
    const keys = ['"<<"', "'<<'", '!!str <<'];
    writeFileSync(
      join(dir, 'thing.yaml'),
      `apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: t\nspec:\n${keys.map((k, i) => `  m${i}:\n    ${k}: dropped\n    kept: "${i}"\n`).join('')}`,
    );
    const built = execFileSync(kustomize, ['build', dir], { encoding: 'utf8' });
    expect(built.match(/kept: "\d"/g)).toHaveLength(keys.length);
    expect(built).not.toContain('dropped');
  });

  it('the merge key is refused when an object is rendered, at its path; "<<" as text, or in a longer key, is carried', () => {
    expect(() => toManifest(configMap({ plain: 'x', '<<': 'v' }), 'app odd env dev')).toThrow(ObjectError);
    expect(() => toManifest(configMap({ plain: 'x', '<<': 'v' }), 'app odd env dev')).toThrow(/data\["<<"\]: .*merge key.*kustomize build drops/);
    const nested = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'a' },
      spec: { source: { helm: { valuesObject: { list: [{ ok: 1 }, { '<<': { a: 1 } }] } } } },
    } as never;
    expect(() => toManifest(nested, 'app odd')).toThrow(/spec\.source\.helm\.valuesObject\.list\[1\]\["<<"\]: .*merge key/);
    expect(toManifest(configMap({ k: '<<', '<<a': '"<<": x' }), 'app ok').data).toStrictEqual({ k: '<<', '<<a': '"<<": x' });
  });
});
