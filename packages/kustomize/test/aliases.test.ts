import { beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { buildOverlays, buildOverlaySync, type KustomizeCommand, resolveBuilder, resolveKustomize } from '../src/index.ts';
import { scratchCheckout } from './scratch.ts';

const repo = findRoot();

/**
 * A "billion laughs": `levels` rows of `width` aliases each of the row before, so the
 * last row stands for width^levels strings, in a few hundred bytes.
 */
function laughs(name: string, levels: number, width = 9, indent = ''): string {
  const rows = Array.from({ length: levels }, (_, i) => {
    const items = Array(width).fill(i === 0 ? '"ha"' : `*r${i - 1}`);
    return `  r${i}: &r${i} [${items.join(', ')}]`;
  });
  return ['apiVersion: example.com/v1', 'kind: Joke', 'metadata:', `  name: ${name}`, 'spec:', ...rows].map((r) => indent + r).join('\n') + '\n';
}

/**
 * A list of 200 strings aliased `times` times. go-yaml's decoder refuses a document once more than
 * 99% of what it decodes came through aliases: this one crosses that line between 209 times (99.0%
 * less a hair) and 210.
 */
const aliased = (times: number) =>
  [
    'apiVersion: example.com/v1',
    'kind: Joke',
    'metadata:',
    '  name: edge',
    'spec:',
    `  once: &once [${Array(200).fill('x').join(', ')}]`,
    `  again: [${Array(times).fill('*once').join(', ')}]`,
    '',
  ].join('\n');

// A few anchors, aliases and a merge key (anchors reach within their own document only), as people
// write them to avoid repeating labels.
const benign = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: settings',
  '  labels: &labels {app: shop, tier: web}',
  '  annotations: {owner: "ops & sre", pattern: "*.shop.example"}',
  'data:',
  '  primary: &host db.shop.svc',
  '  replica: *host',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: more',
  '  annotations: &common {app: shop, tier: web}',
  '  labels:',
  '    <<: *common',
  '    tier: worker',
  'data: {a: b}',
  '',
].join('\n');

const refusal = (file: string, line: number) =>
  `${file}:${line}: not valid YAML: its aliases expand into an enormous document (an alias bomb); kubectl refuses it (excessive aliasing): write the repeated values out instead of aliasing them`;

// kustomize copies every alias's target in place with no limit: the builder refuses such a file
// before kustomize reads it, and so must the kustomize engine, before kustomize starts.
describe('the kustomize engine on an alias bomb', () => {
  const { root, write } = scratchCheckout('strata-kustomize-bomb-');
  let kustomize: KustomizeCommand;
  beforeAll(() => {
    // The real kustomize with its memory capped: a bomb let through fails this test, not the machine.
    kustomize = { command: 'sh', args: ['-c', `ulimit -v 2000000 && exec "${resolveKustomize(root).command}" build "$0"`] };
    write('base/jokes/kustomization.yaml', 'resources:\n  - plain.yaml\n  - laughs.yaml\n');
    write('base/jokes/plain.yaml', 'apiVersion: example.com/v1\nkind: Joke\nmetadata:\n  name: plain\n');
    write('base/jokes/laughs.yaml', `apiVersion: example.com/v1\nkind: Joke\nmetadata:\n  name: first\n---\n${laughs('big', 9)}`);
    write('overlays/dev/base-bomb/kustomization.yaml', 'resources:\n  - ../../../base/jokes\n');
    write('overlays/dev/patch-bomb/kustomization.yaml', 'resources:\n  - joke.yaml\npatches:\n  - path: patch.yaml\n');
    write('overlays/dev/patch-bomb/joke.yaml', 'apiVersion: example.com/v1\nkind: Joke\nmetadata:\n  name: big\n');
    write('overlays/dev/patch-bomb/patch.yaml', laughs('big', 9));
    write('overlays/dev/inline-bomb/kustomization.yaml', `resources:\n  - joke.yaml\npatches:\n  - patch: |-\n${laughs('big', 9, 9, '      ')}`);
    write('overlays/dev/inline-bomb/joke.yaml', 'apiVersion: example.com/v1\nkind: Joke\nmetadata:\n  name: big\n');
    // A generator's file is read through the same file system in the builder, and refused there too.
    write('overlays/dev/generated-bomb/kustomization.yaml', 'configMapGenerator:\n  - name: jokes\n    files:\n      - jokes.yaml=laughs.yaml\n');
    write('overlays/dev/generated-bomb/laughs.yaml', laughs('big', 9));
    write('overlays/dev/benign/kustomization.yaml', 'resources:\n  - settings.yaml\n');
    write('overlays/dev/benign/settings.yaml', benign);
    for (const times of [209, 210]) {
      write(`overlays/dev/edge-${times}/kustomization.yaml`, 'resources:\n  - joke.yaml\n');
      write(`overlays/dev/edge-${times}/joke.yaml`, aliased(times));
    }
  });

  const hostile = ['overlays/dev/base-bomb', 'overlays/dev/patch-bomb', 'overlays/dev/inline-bomb', 'overlays/dev/generated-bomb'];
  const expected = [
    refusal('base/jokes/laughs.yaml', 6),
    refusal('overlays/dev/patch-bomb/patch.yaml', 1),
    // The inline patch's first line: line 4 holds `patch: |-`, its document starts on the next.
    refusal('overlays/dev/inline-bomb/kustomization.yaml', 5),
    refusal('overlays/dev/generated-bomb/laughs.yaml', 1),
  ];

  it('refuses a bomb in a base, a patch file, an inline patch and a generated file in the words the builder uses, and builds the rest', async () => {
    const results = await buildOverlays(root, [...hostile, 'overlays/dev/benign'], { command: kustomize });
    expect(results.map((r) => r.error)).toStrictEqual([...expected, undefined]);
    expect(results.map((r) => [r.ok, r.toolFailed])).toStrictEqual([...hostile.map(() => [false, undefined]), [true, undefined]]);
    expect(buildOverlaySync(root, 'overlays/dev/patch-bomb', { command: kustomize }).error).toBe(expected[1]);
  });

  it('refuses where go-yaml refuses: a document 99% aliases builds, one a hair over is refused', async () => {
    const [under, over] = await buildOverlays(root, ['overlays/dev/edge-209', 'overlays/dev/edge-210'], { command: kustomize });
    expect(under!.error).toBeUndefined();
    expect(under!.yaml.match(/- x$/gm)).toHaveLength(200 * 210);
    expect(over!.error).toBe(refusal('overlays/dev/edge-210/joke.yaml', 1));
  });

  describe.skipIf(!resolveBuilder(repo))('and the builder', () => {
    it('refuses the same files with the same line', async () => {
      const results = await buildOverlays(root, [...hostile, 'overlays/dev/edge-210'], { engine: 'builder' });
      expect(results.map((r) => r.error)).toStrictEqual([...expected, refusal('overlays/dev/edge-210/joke.yaml', 1)]);
    });

    it('builds the files with a few aliases, and the one at the edge, to the same bytes as the kustomize engine', async () => {
      const overlays = ['overlays/dev/benign', 'overlays/dev/edge-209'];
      const [builder, cli] = await Promise.all([
        buildOverlays(root, overlays, { engine: 'builder' }),
        buildOverlays(root, overlays, { command: kustomize }),
      ]);
      for (const [i, overlay] of overlays.entries()) {
        expect(builder[i]!.error, overlay).toBeUndefined();
        expect(builder[i]!.yaml, overlay).toBe(cli[i]!.yaml);
      }
      expect(cli[0]!.yaml).toContain('replica: db.shop.svc');
      expect(cli[0]!.yaml).toMatch(/labels:\n {4}app: shop\n {4}tier: worker/);
    });
  });
});
