import { describe, expect, it } from 'vitest';
import { ToolError, type Problem } from '@strata/project';
import {
  buildVerdict,
  checkSummary,
  checkVerdict,
  gateDriftSummary,
  gatePhases,
  gateSummary,
  gateVerdict,
  pipelineFailed,
  pipelineSummary,
  pipelineVerdict,
  verifyVerdict,
} from '../src/index.ts';

type Built = Parameters<typeof pipelineVerdict>[0]['built']['results'][number];

const built = (overlay: string, ok = true, toolFailed = false): Built => ({
  overlay,
  ok,
  yaml: ok ? 'kind: ConfigMap\n' : '',
  millis: 1,
  env: 'dev',
  app: overlay.split('/').at(-1)!,
  output: `dist/dev/${overlay.split('/').at(-1)!}.yaml`,
  ...(ok ? {} : { error: 'boom' }),
  ...(toolFailed ? { toolFailed: true as const } : {}),
});

const problem = (severity: Problem['severity'], excepted?: string): Problem => ({
  file: 'dist/dev/web.yaml',
  message: 'wrong',
  rule: 'schema',
  severity,
  ...(excepted ? { excepted } : {}),
});

/** A pipeline's findings: everything passed unless the test says otherwise. */
function run(over: Partial<Parameters<typeof pipelineVerdict>[0]> = {}): Parameters<typeof pipelineVerdict>[0] {
  const results = [built('overlays/dev/web'), built('overlays/dev/api')];
  return {
    built: { results, failed: results.filter((b) => !b.ok).length },
    problems: [],
    resources: 12,
    roundTrip: [],
    unmatchedPatches: [],
    envRootCollisions: [],
    strayFolders: [],
    strayRegistrations: [],
    handWritten: [],
    ...over,
  };
}

/** The verdict of a pipeline {@link run} that found nothing: every count 0, of its 12 resources. */
const PASSED = {
  outcome: 'passed',
  notBuilt: 0,
  problems: 0,
  compared: 0,
  strayFolders: 0,
  strayRegistrations: 0,
  handWritten: 0,
  errors: 0,
  resources: 12,
} as const;

describe('pipelineVerdict', () => {
  it('passes a pipeline that found nothing, warnings and excepted errors included', () => {
    const v = pipelineVerdict(run({ problems: [problem('warning'), problem('error', 'a reason the app gives')] }));
    expect(v).toStrictEqual(PASSED);
    expect(pipelineFailed(run())).toBe(false);
  });

  it('fails on each kind of error, counted by kind', () => {
    const results = [built('overlays/dev/web', false), built('overlays/dev/api')];
    const v = pipelineVerdict(
      run({
        built: { results, failed: 1 },
        problems: [problem('error'), problem('error'), problem('warning')],
        roundTrip: [{ overlay: 'overlays/dev/api', id: 'v1/ConfigMap/api', diff: '-a\n+b\n' }],
        unmatchedPatches: ['overlays/dev/web/kustomization.yaml: patch matches nothing'],
        envRootCollisions: ['overlays/dev: v1/Namespace/shop is made by two apps'],
        strayFolders: ['overlays/prod/gone/: a folder of no app'],
        strayRegistrations: ['package.json: @strata-apps/gone is a registration of no app'],
        handWritten: ['overlays/prod/web/.argocd-source.yaml: Argo CD merges this file'],
      }),
    );
    expect(v).toStrictEqual({
      outcome: 'failed',
      notBuilt: 1,
      problems: 2,
      compared: 3,
      strayFolders: 1,
      strayRegistrations: 1,
      handWritten: 1,
      errors: 9,
      resources: 12,
    });
    for (const one of [
      { built: { results, failed: 1 } },
      { problems: [problem('error')] },
      { roundTrip: [{ overlay: 'overlays/dev/api', id: 'x', diff: '' }] },
      { unmatchedPatches: ['a: b'] },
      { envRootCollisions: ['a: b'] },
      { strayFolders: ['base/gone/: a folder of no app'] },
      { strayRegistrations: ['package.json: @strata-apps/gone is a registration of no app'] },
      { handWritten: ['base/web/notes.md: a file without the generated header'] },
    ]) {
      expect(pipelineVerdict(run(one)).outcome).toBe('failed');
      expect(pipelineFailed(run(one))).toBe(true);
    }
  });

  it('is unjudged, whatever else it found, when kustomize failed without judging an overlay, with the error that says so', () => {
    const results = [built('overlays/dev/web', false, true), built('overlays/dev/api')];
    const v = pipelineVerdict(run({ built: { results, failed: 1 }, problems: [problem('error')] }));
    expect(v.outcome).toBe('unjudged');
    expect(v.unjudged).toBeInstanceOf(ToolError);
    expect(v.unjudged?.message).toMatch(/^kustomize failed on 1 of 2 overlays without judging them \(see above\)/);
    expect(v.errors).toBe(2);
  });
});

describe('gateVerdict', () => {
  const verified = (problems: Problem[]) => ({ problems, objects: 12 });

  it("adds the API server's errors to the pipeline's", () => {
    expect(gateVerdict({ pipeline: run(), verified: verified([problem('warning')]) })).toStrictEqual({ ...PASSED, serverErrors: 0 });
    const v = gateVerdict({ pipeline: run({ problems: [problem('error')] }), verified: verified([problem('error'), problem('error')]) });
    expect(v).toMatchObject({ outcome: 'failed', problems: 1, serverErrors: 2, errors: 3 });
  });

  it('fails on the server alone, and counts no server errors when there was no dry run', () => {
    expect(gateVerdict({ pipeline: run(), verified: verified([problem('error')]) }).outcome).toBe('failed');
    expect(gateVerdict({ pipeline: run({ problems: [problem('error')] }) })).toMatchObject({ outcome: 'failed', serverErrors: 0, errors: 1 });
    expect(gateVerdict({ pipeline: run() }).outcome).toBe('passed');
  });

  it("keeps the pipeline's unjudged outcome", () => {
    const results = [built('overlays/dev/web', false, true)];
    const v = gateVerdict({ pipeline: run({ built: { results, failed: 1 } }), verified: verified([]) });
    expect(v.outcome).toBe('unjudged');
    expect(v.unjudged).toBeInstanceOf(ToolError);
  });
});

describe('the last line of strata pipeline', () => {
  it("is validation's summary when the run passed or only validation failed", () => {
    expect(pipelineSummary({ ...run(), apps: 2 })).toBe('pipeline: 2 apps x 3 envs: No problems in 12 resources');
    expect(pipelineSummary({ ...run({ problems: [problem('warning'), problem('error', 'a reason')] }), apps: 1 })).toBe(
      'pipeline: 1 app x 3 envs: Found 1 problem (0 errors, 1 warning) in 0 of 12 resources, 1 excepted with a reason',
    );
    expect(pipelineSummary({ ...run({ problems: [problem('error')] }), apps: 2 })).toBe(
      'pipeline: 2 apps x 3 envs: Found 1 problem in 0 of 12 resources',
    );
  });

  it("counts gitops/'s objects with the apps', whose problems it counts with theirs, passing or failing, as ci's passing line counts them", () => {
    const gitops = { folders: ['gitops/dev', 'gitops/flux/dev'], resources: 4, reused: false };
    const atGitops: Problem = { ...problem('error'), file: 'gitops/flux/dev/gitrepository.strata.yaml', kind: 'GitRepository', name: 'strata' };
    expect(pipelineSummary({ ...run(), gitops, apps: 2 })).toBe('pipeline: 2 apps x 3 envs: No problems in 16 resources');
    expect(pipelineSummary({ ...run({ problems: [atGitops] }), gitops, apps: 2 })).toBe(
      'pipeline: 2 apps x 3 envs: Found 1 problem in 1 of 16 resources',
    );
    const stray = run({ problems: [atGitops], strayFolders: ['base/gone/: e'] });
    expect(pipelineSummary({ ...stray, gitops, apps: 2 })).toBe(
      'pipeline: 2 apps x 3 envs: Found 2 problems: 1 folder of no app, and 1 validation problem in 1 of 16 resources',
    );
    expect(pipelineVerdict({ ...stray, gitops }).resources).toBe(16);
    const passed = { pipeline: { ...run(), gitops, apps: 2 } };
    expect(gateSummary(passed, gateVerdict(passed))).toBe('ci: passed: 2 apps x 3 envs and gitops/, 16 resources generated, built, validated');
  });

  it('says which checks did not run, whatever it found, and passes the run all the same', () => {
    const skipped = ['server field checks'];
    expect(pipelineSummary({ ...run(), apps: 2, skipped })).toBe(
      'pipeline: 2 apps x 3 envs: No problems in 12 resources; the server field checks did not run',
    );
    expect(pipelineVerdict(run()).outcome).toBe('passed');
    const failed = run({ built: { results: [built('overlays/dev/web', false)], failed: 1 } });
    expect(pipelineSummary({ ...failed, apps: 1, skipped })).toMatch(
      /^pipeline: 1 app x 3 envs: Found 1 problem: 1 overlay that did not build, .*; the server field checks did not run$/,
    );
  });

  it('never says "No problems" when the run failed: it counts overlays that did not build, round-trip mismatches, patches that match nothing, collisions and folders of no app', () => {
    const failed = [built('overlays/dev/web', false), built('overlays/dev/api')];
    const one = {
      ...run({
        built: { results: failed, failed: 1 },
        roundTrip: [{ overlay: 'overlays/dev/api', id: 'x', diff: '' }],
        unmatchedPatches: ['a: b'],
        envRootCollisions: ['c: d'],
        strayFolders: ['base/gone/: e'],
        strayRegistrations: ['package.json: g'],
        handWritten: ['overlays/dev/web/.argocd-source.yaml: f'],
      }),
      apps: 2,
    };
    expect(pipelineVerdict(one).outcome).toBe('failed');
    expect(pipelineSummary(one)).toBe(
      'pipeline: 2 apps x 3 envs: Found 7 problems: 1 overlay that did not build, 1 round-trip mismatch, 1 patch that matches nothing, 1 env-root collision, 1 folder of no app, 1 registration of no app, 1 file nothing builds or checks, and no validation problems in 12 resources',
    );
    const many = {
      ...run({
        built: { results: [built('overlays/dev/web', false), built('overlays/dev/api', false)], failed: 2 },
        problems: [problem('error'), problem('error'), problem('warning')],
        roundTrip: [
          { overlay: 'overlays/dev/api', id: 'x', diff: '' },
          { overlay: 'overlays/dev/api', id: 'y', diff: '' },
        ],
      }),
      apps: 2,
    };
    expect(pipelineSummary(many)).toBe(
      'pipeline: 2 apps x 3 envs: Found 7 problems: 2 overlays that did not build, 2 round-trip mismatches, and 3 validation problems (2 errors, 1 warning) in 0 of 12 resources',
    );
    for (const kind of [
      { built: { results: failed, failed: 1 } },
      { roundTrip: [{ overlay: 'o', id: 'x', diff: '' }] },
      { unmatchedPatches: ['a: b'] },
      { envRootCollisions: ['c: d'] },
      { strayFolders: ['base/gone/: e'] },
      { strayRegistrations: ['package.json: g'] },
      { handWritten: ['base/web/notes.md: f'] },
    ])
      expect(pipelineSummary({ ...run(kind), apps: 1 })).not.toMatch(/No problems/);
  });
});

describe('the last line of strata ci', () => {
  const verified = (problems: Problem[]) => ({ problems, objects: 11 });

  it('says what a passing run did, with or without a dry run', () => {
    const passed = { pipeline: { ...run(), apps: 2 }, verified: verified([]) };
    expect(gateSummary(passed, gateVerdict(passed))).toBe(
      'ci: passed: 2 apps x 3 envs, 12 resources generated, built, validated and 11 dry-run applied',
    );
    const upgraded = { ...passed, verified: { ...verified([]), upgrades: 8 }, against: 'origin/main' };
    expect(gateSummary(upgraded, gateVerdict(upgraded))).toBe(
      'ci: passed: 2 apps x 3 envs, 12 resources generated, built, validated and 11 dry-run applied, 8 of them as upgrades of origin/main',
    );
    // A ref that deployed none of them is said to be one, not taken for an upgrade check.
    const none = { ...upgraded, verified: { ...verified([]), upgrades: 0 } };
    expect(gateSummary(none, gateVerdict(none))).toMatch(/11 dry-run applied, 0 of them as upgrades of origin\/main$/);
    const alone = { pipeline: { ...run(), apps: 1 } };
    expect(gateSummary(alone, gateVerdict(alone))).toBe('ci: passed: 1 app x 3 envs, 12 resources generated, built, validated');
  });

  it('counts each kind of error a failing run found, in the singular or the plural, and leaves out the kinds it did not find', () => {
    const results = [built('overlays/dev/web', false), built('overlays/dev/api', false)];
    const many = {
      pipeline: {
        ...run({
          built: { results, failed: 2 },
          problems: [problem('error'), problem('error')],
          roundTrip: [{ overlay: 'overlays/dev/api', id: 'x', diff: '' }],
          unmatchedPatches: ['a: b'],
          strayFolders: ['base/gone/: e', 'overlays/dev/gone/: f'],
          strayRegistrations: ['package.json: i', 'package.json: j'],
          handWritten: ['base/web/a.md: g', 'base/web/b.md: h'],
        }),
        apps: 2,
      },
      verified: verified([problem('error'), problem('error')]),
    };
    expect(gateSummary(many, gateVerdict(many))).toBe(
      'ci: failed: 2 overlays that did not build, 2 validation errors, 2 round-trip, patch or env-root findings, 2 folders of no app, 2 registrations of no app, 2 files nothing builds or checks, 2 errors from the API server',
    );
    const one = {
      pipeline: {
        ...run({
          built: { results: results.slice(0, 1), failed: 1 },
          problems: [problem('error')],
          envRootCollisions: ['c: d'],
          strayFolders: ['base/gone/: e'],
          handWritten: ['base/web/a.md: g'],
        }),
        apps: 1,
      },
      verified: verified([problem('error')]),
    };
    expect(gateSummary(one, gateVerdict(one))).toBe(
      'ci: failed: 1 overlay that did not build, 1 validation error, 1 round-trip, patch or env-root finding, 1 folder of no app, 1 file nothing builds or checks, 1 error from the API server',
    );
    const server = { pipeline: { ...run(), apps: 1 }, verified: verified([problem('error')]) };
    expect(gateSummary(server, gateVerdict(server))).toBe('ci: failed: 1 error from the API server');
  });

  it('says how many generated files drifted when the committed tree is not what the code generates', () => {
    const changes = (written: string[], removed: string[]) => ({ changes: { written, removed } });
    expect(gateDriftSummary(changes(['base/web/kustomization.yaml'], []))).toBe(
      'ci: failed: 1 generated file is not what the code generates; nothing was written, built or applied',
    );
    expect(gateDriftSummary(changes(['base/web/kustomization.yaml'], ['base/web/service.web.yaml']))).toBe(
      'ci: failed: 2 generated files are not what the code generates; nothing was written, built or applied',
    );
  });

  it('says how many topology pictures are not what the generated tree draws, alone or with the files', () => {
    const pictures = [{ picture: true as const }, { picture: true as const }];
    expect(gateDriftSummary({ changes: { written: [], removed: [] }, drift: pictures })).toBe(
      'ci: failed: 2 topology pictures are not what the generated tree draws; nothing was written, built or applied',
    );
    expect(gateDriftSummary({ changes: { written: ['base/web/kustomization.yaml'], removed: [] }, drift: [{}, pictures[0]!] })).toBe(
      'ci: failed: 1 generated file is not what the code generates, and 1 topology picture is not what the generated tree draws; nothing was written, built or applied',
    );
  });

  it("gives each phase's time in milliseconds, the pipeline's then the dry run's", () => {
    const pipeline = { phases: { generate: 0.1234, build: 1.0006, validate: 2 } };
    expect(gatePhases({ pipeline })).toStrictEqual({ generate: 123, build: 1001, validate: 2000 });
    const phases = gatePhases({ pipeline, verified: { phases: { read: 5, apply: 40 } } });
    expect(phases).toStrictEqual({ generate: 123, build: 1001, validate: 2000, read: 5, apply: 40 });
    expect(Object.keys(phases)).toStrictEqual(['generate', 'build', 'validate', 'read', 'apply']);
  });
});

describe('checkVerdict', () => {
  const result = (over: Partial<Parameters<typeof checkVerdict>[0]> = {}): Parameters<typeof checkVerdict>[0] => ({
    drift: [],
    roundTrip: [],
    buildFailures: [],
    unmatchedPatches: [],
    envRootCollisions: [],
    strayFolders: [],
    strayRegistrations: [],
    handWritten: [],
    overlays: 3,
    envRoots: 3,
    ...over,
  });

  it('passes a check that found nothing and sums every finding', () => {
    expect(checkVerdict(result())).toStrictEqual({ outcome: 'passed', findings: 0 });
    const v = checkVerdict(
      result({
        drift: [{ file: 'base/web/configmap.web.yaml', kind: 'changed', diff: '' }],
        roundTrip: [{ overlay: 'overlays/dev/web', id: 'x', diff: '' }],
        buildFailures: [{ overlay: 'overlays/prod/web', error: 'boom' }],
        unmatchedPatches: ['a: b'],
        envRootCollisions: ['c: d'],
        strayFolders: ['overlays/prod/gone/: e'],
        strayRegistrations: ['package.json: g'],
        handWritten: ['overlays/prod/web/.argocd-source.yaml: f'],
      }),
    );
    expect(v).toStrictEqual({ outcome: 'failed', findings: 8 });
  });

  it('is unjudged when kustomize failed without judging, counted against app overlays and env roots', () => {
    const v = checkVerdict(result({ buildFailures: [{ overlay: 'overlays/dev', error: 'killed', toolFailed: true }] }));
    expect(v.outcome).toBe('unjudged');
    expect(v.unjudged?.message).toMatch(/^kustomize failed on 1 of 6 overlays /);
  });
});

describe('buildVerdict', () => {
  it('passes when every overlay built, fails when one did not, and is unjudged when kustomize never judged one', () => {
    expect(buildVerdict({ results: [built('overlays/dev/web')], failed: 0 })).toStrictEqual({ outcome: 'passed', notBuilt: 0 });
    expect(buildVerdict({ results: [built('overlays/dev/web', false)], failed: 1 })).toStrictEqual({ outcome: 'failed', notBuilt: 1 });
    const v = buildVerdict({ results: [built('overlays/dev/web', false, true), built('overlays/dev/api')], failed: 1 });
    expect(v.outcome).toBe('unjudged');
    expect(v.unjudged?.message).toMatch(/^kustomize failed on 1 of 2 overlays /);
  });
});

describe('verifyVerdict', () => {
  it("fails on the server's errors alone: warnings and excepted refusals pass", () => {
    expect(verifyVerdict({ problems: [], objects: 3 })).toStrictEqual({ outcome: 'passed', errors: 0 });
    expect(verifyVerdict({ problems: [problem('warning'), problem('error', 'a reason')], objects: 3 })).toStrictEqual({
      outcome: 'passed',
      errors: 0,
    });
    expect(verifyVerdict({ problems: [problem('error'), problem('error'), problem('warning')], objects: 3 })).toStrictEqual({
      outcome: 'failed',
      errors: 2,
    });
  });
});

describe('checkSummary', () => {
  const compared = {
    files: 192,
    overlays: 15,
    reused: 0,
    envRoots: 3,
    envRootsBuilt: 1,
    drift: [],
    roundTrip: [],
    buildFailures: [],
    strayFolders: [],
    strayRegistrations: [],
    handWritten: [],
  };

  it('says what was compared and counts what was found, naming the kinds of stray only when there are any', () => {
    expect(checkSummary(compared)).toBe(
      'check: 192 files, 15 app overlays and 3 env roots (2 proven from their apps, 1 built): 0 drifted, 0 round-trip mismatches, 0 build failures',
    );
    expect(
      checkSummary({
        ...compared,
        reused: 12,
        drift: [{ file: 'base/a/service.a.yaml', kind: 'changed', diff: '' }],
        roundTrip: [{ overlay: 'overlays/dev/a', id: 'v1/ConfigMap a/a', diff: '' }],
        buildFailures: [
          { overlay: 'overlays/dev/a', error: 'boom' },
          { overlay: 'overlays/dev/b', error: 'boom' },
        ],
        strayFolders: ['overlays/dev/old/: a folder of no app'],
        strayRegistrations: ['one', 'two'],
        handWritten: ['base/a/x.yaml: no generated header'],
      }),
    ).toBe(
      'check: 192 files, 15 app overlays (12 as the last pipeline compared them) and 3 env roots (2 proven from their apps, 1 built): ' +
        '1 drifted, 1 round-trip mismatch, 2 build failures, 1 folder of no app, 2 registrations of no app, 1 file nothing builds or checks',
    );
  });
});
