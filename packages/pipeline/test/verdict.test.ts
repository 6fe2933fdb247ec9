import { describe, expect, it } from 'vitest';
import { ToolError, type Problem } from '@strata/project';
import { buildVerdict, checkVerdict, gateVerdict, pipelineFailed, pipelineVerdict, verifyVerdict } from '../src/index.ts';

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
    ...over,
  };
}

describe('pipelineVerdict', () => {
  it('passes a pipeline that found nothing, warnings and excepted errors included', () => {
    const v = pipelineVerdict(run({ problems: [problem('warning'), problem('error', 'a reason the app gives')] }));
    expect(v).toStrictEqual({ outcome: 'passed', notBuilt: 0, problems: 0, compared: 0, errors: 0, resources: 12 });
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
      }),
    );
    expect(v).toStrictEqual({ outcome: 'failed', notBuilt: 1, problems: 2, compared: 3, errors: 6, resources: 12 });
    for (const one of [
      { built: { results, failed: 1 } },
      { problems: [problem('error')] },
      { roundTrip: [{ overlay: 'overlays/dev/api', id: 'x', diff: '' }] },
      { unmatchedPatches: ['a: b'] },
      { envRootCollisions: ['a: b'] },
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
    expect(gateVerdict({ pipeline: run(), verified: verified([problem('warning')]) })).toStrictEqual({
      outcome: 'passed',
      notBuilt: 0,
      problems: 0,
      compared: 0,
      errors: 0,
      resources: 12,
      serverErrors: 0,
    });
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

describe('checkVerdict', () => {
  const result = (over: Partial<Parameters<typeof checkVerdict>[0]> = {}): Parameters<typeof checkVerdict>[0] => ({
    drift: [],
    roundTrip: [],
    buildFailures: [],
    unmatchedPatches: [],
    envRootCollisions: [],
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
      }),
    );
    expect(v).toStrictEqual({ outcome: 'failed', findings: 5 });
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
