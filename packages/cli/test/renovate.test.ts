import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo, strata, suiteWorkspace } from '@strata/testing/workspace';

interface RegexManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  datasourceTemplate: string;
}
interface RenovateConfig {
  ignorePaths: string[];
  customManagers: RegexManager[];
  postUpgradeTasks: { commands: string[]; fileFilters: string[] };
}

/** The Renovate configuration the README documents under "Release an image". */
function documentedConfig(): RenovateConfig {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Release an image'), readme.indexOf('\n## ', readme.indexOf('## Release an image') + 1));
  const block = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('customManagers'));
  expect(block, 'a ```json block with customManagers in "Release an image"').toBeDefined();
  return JSON.parse(block!) as RenovateConfig;
}

/** A `/regex/` file pattern as Renovate reads it. */
const filePattern = (p: string) => new RegExp(p.slice(1, p.lastIndexOf('/')), p.slice(p.lastIndexOf('/') + 1));

/**
 * What Renovate's regex manager does with an update: every match of a matchString is a dependency;
 * an update replaces currentValue and currentDigest inside that match, and nothing else.
 */
function renovate(
  text: string,
  manager: RegexManager,
  update: (dep: { depName: string; currentValue: string; currentDigest?: string }) => { newValue: string; newDigest?: string } | undefined,
): string {
  let out = text;
  for (const source of manager.matchStrings) {
    for (const m of text.matchAll(new RegExp(source, 'g'))) {
      const dep = m.groups as { depName: string; currentValue: string; currentDigest?: string };
      const next = update(dep);
      if (!next) continue;
      let replaced = m[0].replace(`"${dep.currentValue}"`, `"${next.newValue}"`);
      if (dep.currentDigest && next.newDigest) replaced = replaced.replace(dep.currentDigest, next.newDigest);
      out = out.replace(m[0], replaced);
    }
  }
  return out;
}

const NEW_DIGEST = `sha256:${'c0ffee00'.repeat(8)}`;

describe("the README's Renovate configuration", () => {
  const config = documentedConfig();
  const manager = config.customManagers.find((m) => m.customType === 'regex')!;
  const ws = suiteWorkspace(['tensafe']);

  it('finds the pin files and leaves the generated folders to strata', () => {
    expect(manager.datasourceTemplate).toBe('docker');
    const matches = (path: string) => manager.managerFilePatterns.some((p) => filePattern(p).test(path));
    expect(matches('apps/tensafe/images.json')).toBe(true);
    expect(matches('overlays/prod/tensafe/kustomization.yaml')).toBe(false);
    expect(config.ignorePaths).toEqual(expect.arrayContaining(['base/**', 'overlays/**', 'gitops/**']));
    expect(config.postUpgradeTasks.commands).toContain('npx strata generate');
    expect(config.postUpgradeTasks.fileFilters).toEqual(expect.arrayContaining(['base/**', 'overlays/**', 'gitops/**']));
  });

  it('sees every pin with a tag, with its digest where it has one', () => {
    const pins = readFileSync(join(ws.root, 'apps/tensafe/images.json'), 'utf8');
    const deps = manager.matchStrings.flatMap((s) => [...pins.matchAll(new RegExp(s, 'g'))].map((m) => ({ ...m.groups })));
    expect(deps).toStrictEqual([
      { depName: 'docker.io/tensafe/tensafe', currentValue: '4.1.0-rc.2', currentDigest: undefined },
      { depName: 'docker.io/library/postgres', currentValue: '16.4', currentDigest: expect.stringMatching(/^sha256:2a5c/) },
      { depName: 'docker.io/library/redis', currentValue: '7.4.1', currentDigest: expect.stringMatching(/^sha256:5e8b/) },
    ]);
  });

  it('applied as Renovate applies it, then generated, changes what kustomize builds', () => {
    const file = join(ws.root, 'apps/tensafe/images.json');
    const edited = renovate(readFileSync(file, 'utf8'), manager, (dep) =>
      dep.depName === 'docker.io/library/redis'
        ? { newValue: '7.4.2', newDigest: NEW_DIGEST }
        : dep.depName === 'docker.io/tensafe/tensafe'
          ? { newValue: '4.1.0' }
          : undefined,
    );
    writeFileSync(file, edited);
    expect(edited).toContain(`"redis": { "repository": "docker.io/library/redis", "tag": "7.4.2", "digest": "${NEW_DIGEST}" }`);
    // The post-upgrade task.
    const generated = strata(ws.root, ['generate']);
    expect(generated.stderr).toBe('');
    expect(generated.status).toBe(0);
    const build = (env: string) =>
      execFileSync(join(repo, '.tools/bin/kustomize'), ['build', `overlays/${env}/tensafe`], { cwd: ws.root, encoding: 'utf8' });
    const prod = build('prod');
    expect(prod).toContain(`image: docker.io/library/redis:7.4.2@${NEW_DIGEST}`);
    expect(prod).not.toContain('sha256:5e8b');
    expect(build('dev')).toContain('image: docker.io/tensafe/tensafe:4.1.0\n');
    const check = strata(ws.root, ['check', '--app', 'tensafe']);
    expect(check.stdout).toMatch(/0 drifted, 0 round-trip mismatches/);
  });
});
