import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitAll } from '@strata/testing/workspace-copy';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editFile, repo, strata, tempWorkspace } from '@strata/testing/workspace';

// A release bot that knows only Kustomize edits the generated overlay's images: with the real
// `kustomize edit set image`; check must say which strata command carries the edit into the pins.
const D = `sha256:${'3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea'}`;
const kustomize = join(repo, '.tools/bin/kustomize');

/** The workspace as a git repository with everything committed. */
function commit(root: string): void {
  cpSync(join(repo, '.gitignore'), join(root, '.gitignore'));
  commitAll(root);
}

describe("strata check after a bot edited an overlay's images:", () => {
  let ws: ReturnType<typeof tempWorkspace>;
  const edit = (overlay: string, ...args: string[]) =>
    execFileSync(kustomize, ['edit', 'set', 'image', ...args], { cwd: join(ws.root, overlay), encoding: 'utf8' });
  const build = (overlay: string) => execFileSync(kustomize, ['build', overlay], { cwd: ws.root, encoding: 'utf8' });
  /** The overlay's `images:`, each entry without a newName that repeats its name (the same entry to kustomize). */
  const images = (overlay: string) =>
    (parse(readFileSync(join(ws.root, overlay, 'kustomization.yaml'), 'utf8')) as { images: Record<string, string>[] }).images.map(
      ({ newName, ...entry }) => (newName === undefined || newName === entry.name ? entry : { ...entry, newName }),
    );
  beforeAll(() => {
    ws = tempWorkspace(['tokenplace-relay', 'tensafe', 'gethrelay']);
    expect(strata(ws.root, ['generate']).status).toBe(0);
    // Committed: the pins at HEAD tell an edited overlay from a changed pin.
    commit(ws.root);
  });
  afterAll(() => ws.dispose());

  it('prints the exact set image command, which then makes the edit part of the source', () => {
    edit('overlays/prod/tokenplace-relay', `ghcr.io/tokenplace/tokenplace-relay=ghcr.io/tokenplace/tokenplace-relay:1.5.0@${D}`);
    const edited = { images: images('overlays/prod/tokenplace-relay'), build: build('overlays/prod/tokenplace-relay') };
    // kustomize keeps the tag beside the digest: newTag and digest, built as repo:tag@digest.
    expect(edited.images).toStrictEqual([{ name: 'ghcr.io/tokenplace/tokenplace-relay', newTag: '1.5.0', digest: D }]);
    expect(edited.build).toContain(`image: ghcr.io/tokenplace/tokenplace-relay:1.5.0@${D}`);
    const r = strata(ws.root, ['check', '--app', 'tokenplace-relay']);
    expect(r.status).toBe(1);
    const command = `npx strata set image --app tokenplace-relay --env prod ghcr.io/tokenplace/tokenplace-relay:1.5.0@${D}`;
    expect(r.stdout).toContain(
      `overlays/prod/tokenplace-relay/kustomization.yaml: images: ghcr.io/tokenplace/tokenplace-relay was edited in the generated overlay (to ghcr.io/tokenplace/tokenplace-relay:1.5.0@${D}); generate would undo it. Carry it into apps/tokenplace-relay/images.json with:\n  ${command}\n`,
    );
    expect(r.stderr).toContain('run the `strata set image` command above');
    expect(r.stderr).not.toContain('run `npx strata generate`');

    const set = strata(ws.root, command.split(' ').slice(2));
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    expect(strata(ws.root, ['check', '--app', 'tokenplace-relay']).status).toBe(0);
    // The pin holds the tag and the digest, and the overlay generated from it is what kustomize's
    // own edit wrote, so it builds to the same objects: the image is repo:tag@digest.
    expect(readFileSync(join(ws.root, 'apps/tokenplace-relay/images.json'), 'utf8')).toContain(`"tag": "1.5.0", "digest": "${D}"`);
    expect(images('overlays/prod/tokenplace-relay')).toStrictEqual(edited.images);
    expect(build('overlays/prod/tokenplace-relay')).toBe(edited.build);
  });

  it('names the container of an app that pins several, also in an overlay split for cluster-scoped objects', () => {
    edit('overlays/prod/tensafe/namespaced', `docker.io/library/redis@${D}`);
    const r = strata(ws.root, ['check', '--app', 'tensafe', '--env', 'prod']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`  npx strata set image --app tensafe --env prod --container redis docker.io/library/redis@${D}\n`);
  });

  it('recognises a registry move (newName instead of newTag) and any combination, by the image kustomize builds', () => {
    const overlay = 'overlays/dev/gethrelay';
    const file = `${overlay}/kustomization.yaml`;
    const advice = (ref: string) =>
      `${file}: images: ghcr.io/ethereum/gethrelay was edited in the generated overlay (to ${ref}); generate would undo it. Carry it into apps/gethrelay/images.json with:\n` +
      `  npx strata set image --app gethrelay --env dev --container gethrelay ${ref}\n`;
    // newName and digest together, as kustomize's own edit writes them: the digest replaces the tag.
    const committed = readFileSync(join(ws.root, file), 'utf8');
    edit(overlay, `ghcr.io/ethereum/gethrelay=registry.local:5000/eth/gethrelay@${D}`);
    expect(build(overlay)).toContain(`image: registry.local:5000/eth/gethrelay@${D}`);
    expect(strata(ws.root, ['check', '--app', 'gethrelay']).stdout).toContain(advice(`registry.local:5000/eth/gethrelay@${D}`));
    writeFileSync(join(ws.root, file), committed);
    // newTag replaced by newName: the base's tag comes back.
    editFile(join(ws.root, file), (text) => text.replace(/^ {4}newTag: sha-7c1e9a4$/m, '    newName: registry.local:5000/eth/gethrelay'));
    const edited = build(overlay);
    expect(edited).toContain('image: registry.local:5000/eth/gethrelay:1.0.0');
    const r = strata(ws.root, ['check', '--app', 'gethrelay']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(advice('registry.local:5000/eth/gethrelay:1.0.0'));
    expect(r.stderr).toContain('run the `strata set image` command above');
    expect(r.stderr).not.toContain('run `npx strata generate`');
    // The command keeps what the edit deploys.
    const set = strata(ws.root, [
      'set',
      'image',
      '--app',
      'gethrelay',
      '--env',
      'dev',
      '--container',
      'gethrelay',
      'registry.local:5000/eth/gethrelay:1.0.0',
    ]);
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    expect(strata(ws.root, ['check', '--app', 'gethrelay']).status).toBe(0);
    expect(build(overlay)).toBe(edited);
  });

  it('leaves drift that is not an image edit to the plain advice', () => {
    const r = strata(ws.root, ['check', '--app', 'tokenplace-relay', '--env', 'staging']);
    expect(r.status).toBe(0);
    edit('overlays/staging/tokenplace-relay', 'unrelated/image:1.0');
    const after = strata(ws.root, ['check', '--app', 'tokenplace-relay', '--env', 'staging']);
    expect(after.status).toBe(1);
    expect(after.stdout).not.toContain('strata set image');
    expect(after.stderr).toContain('run `npx strata generate`');
  });

  it('follows the entries in turn, so an entry naming the image the env runs is read as kustomize builds it', () => {
    const overlay = 'overlays/staging/gethrelay';
    // staging moved to another registry: its overlay maps the base's image there.
    expect(
      strata(ws.root, [
        'set',
        'image',
        '--app',
        'gethrelay',
        '--env',
        'staging',
        '--container',
        'gethrelay',
        'registry.local:5000/eth/gethrelay:2.0.0',
      ]).status,
    ).toBe(0);
    commit(ws.root);
    // A bot names the image staging runs; kustomize adds an entry after the generated one and
    // applies it to what the first made.
    edit(overlay, 'registry.local:5000/eth/gethrelay:2.1.0');
    const edited = build(overlay);
    expect(edited).toContain('image: registry.local:5000/eth/gethrelay:2.1.0');
    const r = strata(ws.root, ['check', '--app', 'gethrelay', '--env', 'staging']);
    expect(r.status).toBe(1);
    const command = 'npx strata set image --app gethrelay --env staging --container gethrelay registry.local:5000/eth/gethrelay:2.1.0';
    expect(r.stdout).toContain(
      `${overlay}/kustomization.yaml: images: registry.local:5000/eth/gethrelay was edited in the generated overlay (to registry.local:5000/eth/gethrelay:2.1.0); generate would undo it. Carry it into apps/gethrelay/images.json with:\n  ${command}\n`,
    );
    // Never the base's registry with the new tag, which the overlay does not deploy.
    expect(r.stdout).not.toContain('ghcr.io/ethereum/gethrelay:2.1.0');
    const set = strata(ws.root, command.split(' ').slice(2));
    expect(set.stderr).toBe('');
    expect(strata(ws.root, ['check', '--app', 'gethrelay', '--env', 'staging']).status).toBe(0);
    expect(build(overlay)).toBe(edited);
  });

  it('offers no set image for an entry kustomize applies twice to a pod template (a tagSuffix), which no pin reproduces', () => {
    const overlay = 'overlays/dev/tokenplace-relay';
    const file = join(ws.root, overlay, 'kustomization.yaml');
    const committed = editFile(file, (text) => text.replace(/^ {4}newTag: sha-3f9c2e1$/m, '    tagSuffix: -debug'));
    // Once for every containers list, once for the pod template's image field: the suffix twice.
    expect(build(overlay)).toContain('image: ghcr.io/tokenplace/tokenplace-relay:1.4.0-debug-debug');
    const r = strata(ws.root, ['check', '--app', 'tokenplace-relay', '--env', 'dev']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('+          image: ghcr.io/tokenplace/tokenplace-relay:1.4.0-debug-debug');
    expect(r.stdout).not.toContain('strata set image');
    expect(r.stderr).toContain('run `npx strata generate`');
    writeFileSync(file, committed);
  });
});

// A bot (or a person) bumps a pin in images.json and does not regenerate: the overlay is what the
// pins at HEAD generated. check must say the pins changed and to generate, never offer the command
// that would put the old image back into the pins.
describe('strata check after a pin was bumped without regenerating', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  const file = 'overlays/dev/tensafe/namespaced/kustomization.yaml';
  const pins = () => join(ws.root, 'apps/tensafe/images.json');
  beforeAll(() => {
    ws = tempWorkspace(['tensafe']);
    expect(strata(ws.root, ['generate']).status).toBe(0);
    commit(ws.root);
    writeFileSync(pins(), readFileSync(pins(), 'utf8').replace('"4.1.0-rc.2"', '"4.1.0-rc.3"'));
  });
  afterAll(() => ws.dispose());

  it('says the pins changed and to run generate, with no set image command', () => {
    const r = strata(ws.root, ['check']);
    expect(r.stdout).toContain(
      `${file}: images: docker.io/tensafe/tensafe is docker.io/tensafe/tensafe:4.1.0-rc.2, as apps/tensafe/images.json pinned it at HEAD; ` +
        'apps/tensafe/images.json now pins docker.io/tensafe/tensafe:4.1.0-rc.3: run `npx strata generate` to carry the pin into the overlay\n',
    );
    expect(r.stdout).not.toContain('strata set image');
    expect(r.stdout).not.toContain('was edited in the generated overlay');
    expect(r.stderr).toContain('apps/tensafe/images.json changed since the overlays were generated: run `npx strata generate` and commit the result');
    expect(r.stderr).not.toContain('set image');
    expect(r.status).toBe(1);
    const json = strata(ws.root, ['ci', '--output', 'json'], undefined, { CI: 'true' });
    const drift = (JSON.parse(json.stdout) as { problems: { file: string; rule: string; message: string }[] }).problems.find((p) => p.file === file);
    expect(drift?.message).toMatch(/as apps\/tensafe\/images\.json pinned it at HEAD; .*: run `npx strata generate`/);
    expect(json.status).toBe(1);
  });

  it('offers both fixes when the overlay was edited too, or when there is no history to tell', () => {
    const both = (r: { stdout: string }, ref: string) =>
      expect(r.stdout).toContain(
        `${file}: images: docker.io/tensafe/tensafe is ${ref} in the overlay, and docker.io/tensafe/tensafe:4.1.0-rc.3 in apps/tensafe/images.json. ` +
          "If the pin is the change you want, run `npx strata generate`; if the overlay's is, carry it into the pin with:\n" +
          `  npx strata set image --app tensafe --env dev --container tensafe ${ref}\n`,
      );
    const overlay = join(ws.root, file);
    const committed = readFileSync(overlay, 'utf8');
    writeFileSync(overlay, committed.replace('newTag: 4.1.0-rc.2', 'newTag: 4.1.0-rc.9'));
    const edited = strata(ws.root, ['check']);
    both(edited, 'docker.io/tensafe/tensafe:4.1.0-rc.9');
    expect(edited.stderr).toContain('run `npx strata generate` if the pin is the change, or the `strata set image` command above');
    writeFileSync(overlay, committed);

    rmSync(join(ws.root, '.git'), { recursive: true });
    const unknown = strata(ws.root, ['check']);
    both(unknown, 'docker.io/tensafe/tensafe:4.1.0-rc.2');
    expect(unknown.status).toBe(1);
    // The fix the pin asked for: the overlay follows it.
    expect(strata(ws.root, ['generate']).status).toBe(0);
    expect(strata(ws.root, ['check']).status).toBe(0);
  });
});

// kustomize's images: transformer changes every container whose image matches the entry, also one
// whose image no pin sets (a canary of the same repository, set in the app's config): check names
// it beside the set image command, which carries only the pinned half of the edit.
describe('strata check after a bot edited the images: of an app whose canary runs the same repository', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    ws = tempWorkspace(['llm-runner-router']);
    expect(strata(ws.root, ['generate']).status).toBe(0);
    commit(ws.root);
  });
  afterAll(() => ws.dispose());

  it('names the canary image the edit changed too, which the command does not carry', () => {
    const overlay = 'overlays/staging/llm-runner-router';
    const repository = 'ghcr.io/llm-runner/llm-runner-router';
    execFileSync(kustomize, ['edit', 'set', 'image', `${repository}:1.2.3`], { cwd: join(ws.root, overlay), encoding: 'utf8' });
    const built = execFileSync(kustomize, ['build', overlay], { cwd: ws.root, encoding: 'utf8' });
    // Both Deployments, the stable one and the canary, run the edited image.
    expect(built.match(/image: \S+/g)?.filter((i) => i.includes(repository))).toStrictEqual([
      `image: ${repository}:1.2.3`,
      `image: ${repository}:1.2.3`,
    ]);
    const canary = (readFileSync(join(ws.root, overlay, 'deployment.llm-runner-router-canary.yaml'), 'utf8').match(/image: (\S+)/) ?? [])[1];
    expect(canary).toMatch(new RegExp(`^${repository}:`));
    const r = strata(ws.root, ['check', '--app', 'llm-runner-router', '--env', 'staging']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      `  npx strata set image --app llm-runner-router --env staging ${repository}:1.2.3\n` +
        `  the same edit changed ${canary} to ${repository}:1.2.3, which no pin sets (the app's config does, in apps/llm-runner-router/src): ` +
        'the command above leaves it as the config has it; change it there too to keep it\n',
    );
    // What the command leaves: the canary as the config sets it.
    expect(strata(ws.root, ['set', 'image', '--app', 'llm-runner-router', '--env', 'staging', `${repository}:1.2.3`]).status).toBe(0);
    expect(readFileSync(join(ws.root, overlay, 'deployment.llm-runner-router-canary.yaml'), 'utf8')).toContain(`image: ${canary}`);
  });
});
