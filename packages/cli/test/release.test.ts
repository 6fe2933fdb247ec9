import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { strata, suiteWorkspace, tempWorkspace, treeOf } from '@strata/testing/workspace';

// set image and promote, run as a user would, in a throw-away copy of the workspace; what they
// write is checked in the real `kustomize build` of the overlay.
const D1 = `sha256:${'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb'}`;
const D2 = `sha256:${'3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d'}`;

describe('strata set image and promote', () => {
  const ws = suiteWorkspace(['tensafe']);
  const pins = () => readFileSync(join(ws.root, 'apps/tensafe/images.json'), 'utf8');
  const built = (env: string) => {
    const r = strata(ws.root, ['build', '--app', 'tensafe', '--env', env]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return readFileSync(join(ws.root, 'dist', env, 'tensafe.yaml'), 'utf8');
  };

  it('pins a digest in prod, keeping the repository, and kustomize builds it', () => {
    const r = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'prod', '--container', 'tensafe', `@${D1}`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`+++ b/overlays/prod/tensafe/`);
    expect(r.stdout).toContain(`-    digest: sha256:7d4e`);
    expect(r.stdout).toContain(`+    digest: ${D1}`);
    expect(r.stdout).toMatch(/tensafe prod tensafe: docker\.io\/tensafe\/tensafe@sha256:7d4e\w+ -> docker\.io\/tensafe\/tensafe@sha256:ca97/);
    expect(pins()).toContain(`"tensafe": { "repository": "docker.io/tensafe/tensafe", "digest": "${D1}" }`);
    expect(built('prod')).toContain(`image: docker.io/tensafe/tensafe@${D1}`);
  });

  it('refuses a tag in prod, where policy demands a digest, and changes nothing', () => {
    const before = pins();
    const r = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'prod', '--container', 'redis', 'docker.io/library/redis:7.4.2']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('prod requires images pinned by digest (require-image-digest)');
    expect(pins()).toBe(before);
  });

  it('refuses a placeholder digest in prod (all zeros, one hex digit repeated) in the words of the rule the pipeline would fail, and changes nothing', () => {
    const before = pins();
    const tree = treeOf(ws.root);
    for (const digit of ['0', 'c']) {
      const digest = `sha256:${digit.repeat(64)}`;
      const r = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'prod', '--container', 'redis', `@${digest}`]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toBe(
        `strata: prod requires images pinned by digest (require-image-digest): tensafe/redis: Container "redis" uses the placeholder digest "${digest}", which no registry serves: replace it with the digest your registry reports for the release.`,
      );
      expect(pins()).toBe(before);
      expect(treeOf(ws.root)).toStrictEqual(tree);
    }
    // dev does not ask for a digest: the same pin is taken there.
    const dev = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'dev', '--container', 'redis', `@sha256:${'0'.repeat(64)}`]);
    expect(dev.stderr).toBe('');
    expect(dev.status).toBe(0);
  });

  it('refuses a repository the image reference grammar does not take (an empty path component), in one line, and changes nothing', () => {
    const before = pins();
    const r = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'dev', 'ghcr.io//y:1']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('image "ghcr.io//y:1": the repository "ghcr.io//y" has an empty path component (//)');
    expect(pins()).toBe(before);
  });

  it('refuses a container the app does not pin, with the ones it does', () => {
    const r = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'dev', '--container', 'sidecar', ':1.0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('use --container with one of tensafe, postgresql, redis');
  });

  it('promotes staging to prod: what staging pins moves, and nothing else', () => {
    const set = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'staging', `docker.io/tensafe/tensafe:4.2.0@${D2}`]);
    expect(set.status).toBe(0);
    expect(set.stdout).toMatch(/^set image: 1 image changed, 1 pin file and 1 generated file written \(/m);
    const r = strata(ws.root, ['promote', '--from', 'staging', '--to', 'prod']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`tensafe prod tensafe: docker.io/tensafe/tensafe@${D1} -> docker.io/tensafe/tensafe:4.2.0@${D2}`);
    expect(r.stdout).toContain('promote staging -> prod: 1 image changed');
    const prod = built('prod');
    expect(prod).toContain(`image: docker.io/tensafe/tensafe:4.2.0@${D2}`);
    expect(pins()).toContain(`"tensafe": { "repository": "docker.io/tensafe/tensafe", "tag": "4.2.0", "digest": "${D2}" }`);
    // postgres and redis keep their own prod digests
    expect(prod).toContain('image: docker.io/library/redis:7.4.1@sha256:5e8b1d4f');
    // the committed tree is what the pins generate
    const again = strata(ws.root, ['generate', '--dry-run', '--app', 'tensafe']);
    expect(again.stdout).not.toMatch(/^\+\+\+ b\/(base|overlays\/\w+)\/tensafe\//m);
  });

  it('reports a pin of the image the config gives as a change, since the env stops following its config; the same pin again changes nothing', () => {
    const other = tempWorkspace(['tensafe']);
    try {
      // The env roots of a workspace of this one app, so that only what the pins change is written below.
      expect(strata(other.root, ['generate']).status).toBe(0);
      const file = join(other.root, 'apps/tensafe/images.json');
      const pinStaging = () =>
        strata(other.root, ['set', 'image', '--app', 'tensafe', '--env', 'staging', '--container', 'tensafe', 'docker.io/tensafe/tensafe:4.0.0']);
      const set = pinStaging();
      expect(set.stderr).toBe('');
      expect(set.status).toBe(0);
      expect(set.stdout).toContain('tensafe staging tensafe: pinned at docker.io/tensafe/tensafe:4.0.0 (was from the config)\n');
      expect(set.stdout).toMatch(/^set image: 1 image pinned as it runs, 1 pin file and 0 generated files written \(/m);
      expect(readFileSync(file, 'utf8')).toContain('"staging": {\n    "tensafe": { "repository": "docker.io/tensafe/tensafe", "tag": "4.0.0" }');
      const pinned = readFileSync(file);
      const again = pinStaging();
      expect(again.status).toBe(0);
      expect(again.stdout).toMatch(/^set image: nothing changed \(/m);
      expect(readFileSync(file).equals(pinned)).toBe(true);
      // promote: a pin that arrives where the config gave the same image is reported as pinned, beside a real change.
      expect(
        strata(other.root, ['set', 'image', '--app', 'tensafe', '--env', 'dev', '--container', 'redis', 'docker.io/library/redis:7.4.1']).status,
      ).toBe(0);
      const r = strata(other.root, ['promote', '--from', 'dev', '--to', 'staging']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('tensafe staging tensafe: docker.io/tensafe/tensafe:4.0.0 -> docker.io/tensafe/tensafe:4.1.0-rc.2\n');
      expect(r.stdout).toContain('tensafe staging redis: pinned at docker.io/library/redis:7.4.1 (was from the config)\n');
      expect(r.stdout).toMatch(/^promote dev -> staging: 1 image changed, 1 image pinned as it runs, 1 pin file and 1 generated file written \(/m);
      expect(readFileSync(file, 'utf8')).toContain('"redis": { "repository": "docker.io/library/redis", "tag": "7.4.1" }');
    } finally {
      other.dispose();
    }
  });

  it('refuses an app that does not read its images.json, and changes nothing', () => {
    const other = tempWorkspace(['tensafe']);
    try {
      const source = join(other.root, 'apps/tensafe/src/app.ts');
      const text = readFileSync(source, 'utf8');
      expect(text).toMatch(/^ {2}pins,$/m);
      writeFileSync(source, text.replace(/^ {2}pins,\n/m, ''));
      const before = { tree: treeOf(other.root), pins: readFileSync(join(other.root, 'apps/tensafe/images.json'), 'utf8') };
      const r = strata(other.root, ['set', 'image', '--app', 'tensafe', '--env', 'dev', '--container', 'tensafe', ':4.3.0']);
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toBe(
        "strata: app tensafe does not read apps/tensafe/images.json, so a pin there would change nothing: add `import pins from '../images.json'` and `pins` to apps/tensafe/src/app.ts",
      );
      expect(treeOf(other.root)).toStrictEqual(before.tree);
      expect(readFileSync(join(other.root, 'apps/tensafe/images.json'), 'utf8')).toBe(before.pins);
    } finally {
      other.dispose();
    }
  });

  it('puts images.json back byte for byte, with its mode, when the regenerate fails, and leaves the tree as it was', () => {
    const other = tempWorkspace(['tensafe']);
    try {
      // An app whose render fails for one release only: the pin is written before the regenerate finds out.
      const render = join(other.root, 'apps/tensafe/src/render.ts');
      const text = readFileSync(render, 'utf8');
      expect(text).toMatch(/^export function render\(c: TensafeConfig\): KubeObject\[\] \{$/m);
      writeFileSync(
        render,
        text.replace(
          /^export function render\(c: TensafeConfig\): KubeObject\[\] \{$/m,
          "$&\n  if (c.image.tag === '6.6.6') throw new Error('release 6.6.6 cannot be rendered');",
        ),
      );
      // Written by hand, not as strata writes it: a rewrite would show.
      const file = join(other.root, 'apps/tensafe/images.json');
      const hand = Buffer.from(
        readFileSync(file, 'utf8')
          .replace(/\n$/, '')
          .replace(/^ {2}"dev"/m, '\t"dev"')
          .replace(/\n/g, '\r\n'),
      );
      writeFileSync(file, hand);
      chmodSync(file, 0o640);
      const before = treeOf(other.root);
      const r = strata(other.root, ['set', 'image', '--app', 'tensafe', '--env', 'dev', '--container', 'tensafe', ':6.6.6']);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('release 6.6.6 cannot be rendered');
      expect(readFileSync(file).equals(hand)).toBe(true);
      expect((statSync(file).mode & 0o777).toString(8)).toBe('640');
      expect(treeOf(other.root)).toStrictEqual(before);
    } finally {
      other.dispose();
    }
  });

  it('puts back the images.json written before another could not be written', (ctx) => {
    const other = tempWorkspace(['gethrelay', 'tensafe']);
    // An immutable folder refuses the second app's new pins for real (root on ext4, say); elsewhere
    // there is no way to make that write fail.
    const locked = join(other.root, 'apps/tensafe');
    const lock = (flag: string) => spawnSync('chattr', [flag, locked]).status === 0;
    try {
      const first = join(other.root, 'apps/gethrelay/images.json');
      const before = { pins: readFileSync(first), tree: treeOf(other.root) };
      if (!lock('+i')) ctx.skip();
      const r = strata(other.root, ['promote', '--from', 'dev', '--to', 'staging']);
      lock('-i');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/apps\/tensafe\/images\.json/);
      expect(readFileSync(first).equals(before.pins)).toBe(true);
      expect(treeOf(other.root)).toStrictEqual(before.tree);
    } finally {
      lock('-i');
      other.dispose();
    }
  });

  it('refuses to promote a tag into prod', () => {
    expect(strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'dev', '--container', 'tensafe', ':4.3.0-rc.1']).status).toBe(0);
    const r = strata(ws.root, ['promote', '--from', 'dev', '--to', 'prod']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('require-image-digest');
  });
});
