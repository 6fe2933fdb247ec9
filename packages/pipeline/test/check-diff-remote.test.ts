import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, git } from '@strata/testing/workspace-copy';
import { strata, tempWorkspace } from '@strata/testing/workspace';
import { buildFailureLine, check, diffAgainst } from '../src/index.ts';
import { recordingServer } from './recording-server.ts';

// A hand-edited overlay or env root that names a URL is refused by build, validate and verify
// before kustomize runs; check, which builds the committed overlays, and diff --against, which
// builds a ref's committed overlays when its apps do not load, refuse it the same way: nothing is
// fetched over the network.

const APP = 'tokenplace-relay';
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fetched, namespace: tokenplace}\ndata: {a: b}\n';

const server = recordingServer(CM);

/** Appends an entry to the resources of the kustomization `file` (its last list), returning what it held. */
function addResource(file: string, entry: string): string {
  const text = readFileSync(file, 'utf8');
  const lines = text.trimEnd().split('\n');
  const at = lines.indexOf('resources:');
  expect(at).toBeGreaterThan(-1);
  let end = at + 1;
  while (lines[end]?.startsWith('  - ')) end++;
  lines.splice(end, 0, `  - ${entry}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return text;
}

describe('a committed overlay or env root that names a URL', () => {
  const ws = tempWorkspace([APP]);
  beforeAll(() => {
    expect(strata(ws.root, ['generate']).status).toBe(0);
    commitAll(ws.root);
  }, 120_000);
  afterAll(() => ws.dispose());

  it("fails check at the app's overlay, refused before kustomize runs, and nothing is fetched", { timeout: 120_000 }, async () => {
    const file = join(ws.root, `overlays/dev/${APP}/kustomization.yaml`);
    const before = addResource(file, `${server.url}/cm.yaml`);
    try {
      server.requests.length = 0;
      const r = await check(ws.root, { apps: [APP], env: 'dev' });
      expect(server.requests).toStrictEqual([]);
      const line = before.split('\n').indexOf('resources:') + 3;
      expect(r.buildFailures.map(buildFailureLine)).toStrictEqual([
        `overlays/dev/${APP}: not built (kustomize was not run): overlays/dev/${APP}/kustomization.yaml:${line}: resources[1]: kustomize would fetch ${server.url}/cm.yaml over the network to build overlays/dev/${APP}, and strata builds only what is in the tree: vendor it into the tree and name it by its local path`,
      ]);
    } finally {
      writeFileSync(file, before);
    }
  });

  it('fails check at the env root, refused before kustomize runs, and nothing is fetched', { timeout: 120_000 }, async () => {
    const file = join(ws.root, 'overlays/dev/kustomization.yaml');
    const before = addResource(file, `${server.url}/cm.yaml`);
    try {
      server.requests.length = 0;
      const r = await check(ws.root, { env: 'dev' });
      expect(server.requests).toStrictEqual([]);
      expect(r.buildFailures.map(buildFailureLine)).toStrictEqual([
        expect.stringMatching(
          new RegExp(
            `^overlays/dev: not built \\(kustomize was not run\\): overlays/dev/kustomization\\.yaml:\\d+: resources\\[1\\]: kustomize would fetch ${server.url}/cm\\.yaml over the network to build overlays/dev, `,
          ),
        ),
      ]);
    } finally {
      writeFileSync(file, before);
    }
  });

  it(
    'fails diff --against a ref whose apps do not load and whose committed overlay names it, and nothing is fetched',
    { timeout: 120_000 },
    async () => {
      const file = join(ws.root, `overlays/dev/${APP}/kustomization.yaml`);
      const app = join(ws.root, `apps/${APP}/src/app.ts`);
      addResource(file, `${server.url}/cm.yaml`);
      writeFileSync(app, `${readFileSync(app, 'utf8')}\nexport const broken = (;\n`);
      git(ws.root, 'commit', '-qam', 'an overlay naming a URL, and an app that does not compile');
      const ref = git(ws.root, 'rev-parse', 'HEAD').trim();
      git(ws.root, 'reset', '-q', '--hard', 'HEAD~1');
      server.requests.length = 0;
      await expect(diffAgainst(ws.root, ref, { env: 'dev', apps: [APP] })).rejects.toThrow(
        new RegExp(
          `^overlays/dev/${APP}: not built \\(kustomize was not run\\): overlays/dev/${APP}/kustomization\\.yaml:\\d+: resources\\[1\\]: kustomize would fetch ${server.url}/cm\\.yaml over the network`,
        ),
      );
      expect(server.requests).toStrictEqual([]);
    },
  );
});
