import { describe, expect, it } from 'vitest';
import {
  comparisonLines,
  describeImageEdit,
  type Drift,
  driftHints,
  gitopsLine,
  type ImageEdit,
  LINE_ENDINGS_FIX,
  unreportedForeign,
} from '../src/index.ts';

// What check and the pipeline say of their findings, decided here for every command that prints them.

const NONE = { unmatchedPatches: [], roundTrip: [], envRootCollisions: [], strayFolders: [], strayRegistrations: [], handWritten: [] };

describe('comparisonLines', () => {
  it('gives each finding one line, in the order of its kind, a round-trip mismatch with its diff', () => {
    expect(
      comparisonLines({
        unmatchedPatches: ['overlays/dev/a/kustomization.yaml: patch matches nothing'],
        roundTrip: [{ overlay: 'overlays/dev/a', id: 'v1/ConfigMap a/a', diff: '-x\n+y\n\n' }],
        envRootCollisions: ['overlays/dev/kustomization.yaml: v1/Namespace shop is in both a and b'],
        strayFolders: ['overlays/dev/old/: a folder of no app'],
        strayRegistrations: ['package.json: @strata-apps/old registers no app'],
        handWritten: ['base/a/extra.yaml: no generated header'],
      }),
    ).toStrictEqual([
      'overlays/dev/a/kustomization.yaml: patch matches nothing',
      'overlays/dev/a: v1/ConfigMap a/a: kustomize build differs from the render:\n-x\n+y',
      'overlays/dev/kustomization.yaml: v1/Namespace shop is in both a and b',
      'overlays/dev/old/: a folder of no app',
      'package.json: @strata-apps/old registers no app',
      'base/a/extra.yaml: no generated header',
    ]);
    expect(comparisonLines(NONE)).toStrictEqual([]);
  });
});

describe('unreportedForeign', () => {
  it('leaves out the files reported as hand-written and those in a folder of no app, which are errors of their own', () => {
    const foreign = [
      'base/a/extra.yaml',
      'overlays/dev/old/kustomization.yaml',
      'overlays/dev/old/x.yaml',
      'overlays/dev/older.yaml',
      'base/b/notes.yaml',
    ];
    expect(
      unreportedForeign({
        generated: { foreign },
        handWritten: ['base/a/extra.yaml: no generated header'],
        strayFolders: ['overlays/dev/old/: a folder of no app'],
      }),
    ).toStrictEqual(['overlays/dev/older.yaml', 'base/b/notes.yaml']);
    expect(unreportedForeign({ generated: { foreign }, handWritten: [], strayFolders: [] })).toStrictEqual(foreign);
  });
});

describe('driftHints', () => {
  const changed: Drift = { file: 'base/a/service.a.yaml', kind: 'changed', diff: '' };
  const picture: Drift = { file: 'docs/topology-dev.mmd', kind: 'changed', diff: '', picture: true };
  const crlf: Drift = { file: 'base/a/service.a.yaml', kind: 'changed', diff: '', lineEndings: true };
  const edit: ImageEdit = {
    file: 'overlays/dev/a/kustomization.yaml',
    app: 'a',
    env: 'dev',
    image: 'ghcr.io/acme/a',
    ref: 'ghcr.io/acme/a:2',
    command: 'npx strata set image --app a --env dev ghcr.io/acme/a:2',
    cause: 'overlay',
  };
  const GENERATE = 'the committed tree is out of date: run `npx strata generate` and commit the result';

  it('says to regenerate, with the pictures too when they drifted beside the tree, or only to redraw them', () => {
    expect(driftHints([changed], [])).toStrictEqual({ edits: [], advice: [GENERATE] });
    expect(driftHints([changed, picture], []).advice).toStrictEqual([
      'the committed tree is out of date: run `npx strata generate`, then `npm run topology`, and commit the result',
    ]);
    expect(driftHints([picture], []).advice).toStrictEqual(['the topology pictures are out of date: run `npm run topology` and commit docs/']);
  });

  it('gives the fix of CRLF line endings, and only that when nothing else drifted', () => {
    expect(driftHints([crlf], [])).toStrictEqual({ edits: [], advice: [LINE_ENDINGS_FIX] });
    expect(driftHints([crlf, changed], []).advice).toStrictEqual([LINE_ENDINGS_FIX, GENERATE]);
  });

  it('describes each image edit and says how to carry it into the pins, instead of regenerating over it', () => {
    expect(driftHints([changed], [edit])).toStrictEqual({
      edits: [describeImageEdit(edit)],
      advice: ["an overlay's images: was edited in place: run the `strata set image` command above (it regenerates the tree), then commit"],
    });
  });

  it('says only what to fix first when generate would refuse the tree', () => {
    expect(driftHints([changed, crlf], [edit], ['overlays/dev/kustomization.yaml: v1/Namespace shop is in both a and b'])).toStrictEqual({
      edits: [],
      advice: [
        'generate refuses this tree: two apps of an env render the same object; rename or remove it in one of them, then regenerate and commit',
      ],
    });
  });
});

describe('gitopsLine', () => {
  it('names up to three folders, then how many more, with the objects validated or reused', () => {
    const three = ['gitops/dev', 'gitops/staging', 'gitops/prod'];
    expect(gitopsLine({ folders: three, resources: 6, reused: false })).toBe('gitops: gitops/dev, gitops/staging, gitops/prod: 6 objects validated');
    expect(gitopsLine({ folders: [...three, 'clusters/dev', 'clusters/prod'], resources: 1, reused: true })).toBe(
      'gitops: gitops/dev, gitops/staging, gitops/prod and 2 more: 1 object, unchanged since the last run, reused',
    );
    expect(gitopsLine({ folders: ['gitops/dev'], resources: 0, reused: false })).toBe('gitops: gitops/dev: 0 objects validated');
  });
});
