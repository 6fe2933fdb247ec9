import { describe, expect, it } from 'vitest';
import { asyncAppFailure, runAppCode } from '@strata/core/sources';
import { LateAppFailures, lateFailureVerdict } from '../src/index.ts';

const late = (message: string) => new Error(`apps/web/src/render.ts:3:7: app web: render threw asynchronously: ${message}`);

describe('lateFailureVerdict', () => {
  it('fails a command with exit 1 when app code threw after its render and nothing was committed', () => {
    expect(lateFailureVerdict([late('late')], new Set(), 0, 0)).toStrictEqual({
      lines: ['apps/web/src/render.ts:3:7: app web: render threw asynchronously: late'],
      exitCode: 1,
    });
  });

  it('keeps exit 0 and says the change stands when the change was committed before app code threw', () => {
    expect(lateFailureVerdict([late('late')], new Set(), 1, 0)).toStrictEqual({
      lines: ['apps/web/src/render.ts:3:7: app web: render threw asynchronously: late'],
      stands: 'the change to the tree was written before the app failed, from what its render returned; it stands',
      exitCode: 0,
    });
  });

  it('never lowers the exit code a command already had', () => {
    expect(lateFailureVerdict([late('late')], new Set(), 0, 2)?.exitCode).toBe(2);
    expect(lateFailureVerdict([late('late')], new Set(), 1, 1)?.exitCode).toBe(1);
  });

  it('names each failure once, and none the command already reported', () => {
    const reported = new Set([late('first').message]);
    const v = lateFailureVerdict([late('first'), late('second'), late('second')], reported, 0, 0);
    expect(v?.lines).toStrictEqual([late('second').message]);
    expect(lateFailureVerdict([late('first')], reported, 0, 0)).toBeUndefined();
  });
});

describe('LateAppFailures', () => {
  it("takes the process's late failures of app code once each, but the one the command ended with: exit 1, as no change was committed", async () => {
    const failures = new LateAppFailures();
    expect(await failures.take(0)).toBeUndefined();
    const render = (app: string, message: string) => runAppCode({ app, doing: 'render' }, () => asyncAppFailure(new Error(message)));
    failures.reported(render('api', 'early'));
    expect(await failures.take(0)).toBeUndefined();
    render('web', 'late');
    render('web', 'late');
    expect(await failures.take(0)).toStrictEqual({ lines: ['apps/web: app web: render threw asynchronously: late'], exitCode: 1 });
    expect(await failures.take(1)).toBeUndefined();
  });
});
