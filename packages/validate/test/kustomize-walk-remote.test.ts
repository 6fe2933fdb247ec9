import { join } from 'node:path';
import { testTempDir } from '@strata/testing/temp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../src/index.ts';
import { repo } from './kustomize-trees.ts';
import { realKustomizeBuild, REMOTE_CASES, remoteServer, remoteTree } from './remote-trees.ts';

/**
 * kustomize fetches a URL through any field it loads a path by, not only resources: a tree validate
 * passed after such a fetch would be fetched again at deploy time, by kubectl apply -k or Argo CD,
 * and could deploy what was never judged. Each such kustomization is refused at its entry, before
 * kustomize runs, and nothing is fetched; the real kustomize is seen to fetch each first.
 */
let server: Awaited<ReturnType<typeof remoteServer>>;
beforeAll(async () => {
  server = await remoteServer();
});
afterAll(() => server.close());

describe('a folder walk never fetches what a kustomization names by URL', () => {
  it.each(
    REMOTE_CASES.map((c) => [c.file ? `${c.field} of ${c.file}` : c.field, c] as const),
  )('%s: kustomize fetches it; validate refuses the kustomization at the entry and fetches nothing', async (_, c) => {
    const dir = remoteTree(testTempDir('strata-walk-remote-'), c, server.url);
    server.requests.length = 0;
    await realKustomizeBuild(dir, c);
    expect(server.requests).toContain(c.served);

    server.requests.length = 0;
    const r = await validate(repo, [dir], { serverChecks: false });
    expect(server.requests).toStrictEqual([]);
    const refused = r.problems.filter((p) => p.rule === 'kustomize-build');
    const entry = `${server.url}${c.served.replace(/\/info\/refs.*$/, '//component')}`;
    // An entry of the kustomization built is refused at its line; one of a file it reaches, at the kustomization, naming that file and line.
    const where = c.file ? `${c.field} in ${join(dir, c.file)}:${c.line}` : c.field;
    expect(refused.map((p) => [p.file, p.line, p.severity, p.message])).toStrictEqual([
      [
        join(dir, 'kustomization.yaml'),
        c.file ? 1 : c.line,
        'error',
        `kustomize would fetch ${entry} (${where}) over the network to build ${dir}: strata builds offline and judges only what is in the tree; vendor it into the tree, or validate its build (kustomize build <folder> | strata validate -)`,
      ],
    ]);
  });

  it('says how many more the kustomization would fetch', async () => {
    const dir = remoteTree(testTempDir('strata-walk-remote-'), REMOTE_CASES[2]!, server.url);
    const more = remoteTree(
      dir,
      {
        ...REMOTE_CASES[2]!,
        files: (u) => ({
          'kustomization.yaml': `resources:\n- cm.yaml\n- ${u}/cm.yaml\npatches:\n- path: ${u}/patch.yaml\ncrds:\n- ${u}/crd.json\n`,
        }),
      },
      server.url,
    );
    server.requests.length = 0;
    const r = await validate(repo, [more], { serverChecks: false });
    expect(server.requests).toStrictEqual([]);
    expect(r.problems.filter((p) => p.rule === 'kustomize-build').map((p) => [p.line, p.message.split(' over the network')[0]])).toStrictEqual([
      [3, `kustomize would fetch ${server.url}/cm.yaml (resources[1], and 2 more remote inputs)`],
    ]);
  });
});
