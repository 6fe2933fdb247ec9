import { join } from 'node:path';
import { testTempDir, writeTree } from '@strata/testing/temp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importApp, ImportError } from '../src/index.ts';
import { realKustomizeBuild, REMOTE_CASES, remoteServer, remoteTree } from '../../validate/test/remote-trees.ts';
import { emptyWorkspace, envSources, filesUnder } from './workspace.ts';

/**
 * kustomize fetches a URL through any field it loads a path by, not only resources: an import of
 * such a kustomization would take what the URL served that moment, and the app would stand for
 * sources that change by themselves. Each is refused in one line at its entry, before kustomize
 * runs, nothing fetched and nothing written; the real kustomize is seen to fetch each first.
 */
let server: Awaited<ReturnType<typeof remoteServer>>;
beforeAll(async () => {
  server = await remoteServer();
});
afterAll(() => server.close());

let ws: ReturnType<typeof emptyWorkspace>;
beforeEach(() => {
  ws = emptyWorkspace();
});
afterEach(() => ws.dispose());

/**
 * Runs the real kustomize on the kustomization in `dir` (as `c` says), then imports it: the import
 * fetches nothing, is refused and writes nothing. Returns what kustomize fetched and the refusal's lines.
 */
async function fetchedThenRefused(dir: string, c: (typeof REMOTE_CASES)[number]): Promise<{ fetched: string[]; lines: readonly string[] }> {
  server.requests.length = 0;
  await realKustomizeBuild(dir, c);
  const fetched = [...server.requests];

  server.requests.length = 0;
  const before = filesUnder(ws.root, '.');
  const err = await importApp(ws.root, { name: 'fetched', envs: envSources(dir), install: false }).catch((e: unknown) => e);
  expect(server.requests).toStrictEqual([]);
  expect(err).toBeInstanceOf(ImportError);
  expect(filesUnder(ws.root, '.')).toStrictEqual(before);
  return { fetched, lines: (err as ImportError).lines };
}

describe('strata import never fetches what a kustomization names by URL', () => {
  it.each(
    REMOTE_CASES.map((c) => [c.file ? `${c.field} of ${c.file}` : c.field, c] as const),
  )('%s: kustomize fetches it; import refuses it at its line, fetches nothing and writes nothing', async (_, c) => {
    const dir = remoteTree(testTempDir('strata-import-remote-'), c, server.url);
    const { fetched, lines } = await fetchedThenRefused(dir, c);
    expect(fetched).toContain(c.served);
    const entry = `${server.url}${c.served.replace(/\/info\/refs.*$/, '//component')}`;
    const fix = c.resource
      ? 'a remote resource cannot be imported (it needs the network and may change); vendor it into a local folder, point the kustomization at that folder, then import'
      : "a remote file cannot be imported (kustomize would fetch it over the network, and it may change); vendor it into the kustomization's folder, name it there by its local path, then import";
    // The one line of the refusal; a Helm chart is refused besides, and a transformer entry it cannot read.
    expect(lines[0]).toBe(`${join(dir, c.file ?? 'kustomization.yaml')}:${c.line}: ${c.field}: ${entry}: ${fix}`);
    expect(lines.filter((l) => l.includes(server.url))).toHaveLength(1);
  });
});

describe('strata import reads a kustomization as kustomize does before it says nothing is fetched', () => {
  it('refuses a URL behind a YAML merge key, which kustomize fetches: nothing fetched, nothing written', async () => {
    const dir = writeTree(testTempDir('strata-import-remote-'), {
      'kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n<<: {resources: [${server.url}/cm.yaml]}\n`,
    });
    const { fetched, lines } = await fetchedThenRefused(dir, REMOTE_CASES[0]!);
    expect(fetched).toStrictEqual(['/cm.yaml']);
    expect(lines[0]).toBe(
      `${join(dir, 'kustomization.yaml')}:3: <<: cannot tell what kustomize would fetch over the network, so it cannot be imported: kustomize resolves this YAML merge key into the fields it merges, which are not read here as they are written; write those fields out in its place, then import`,
    );
  });
});
