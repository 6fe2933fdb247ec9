import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import type { Problem } from '@strata/project';
import { verify } from '@strata/verify';
import { BUILD_TIMEOUT } from '../../verify/test/helpers.ts';
import { validate } from '../src/index.ts';
import { createInApplyOrder, suiteDifferential } from './apply-order.ts';

/**
 * PriorityClasses with `globalDefault: true` in one cluster: every object of the corpus is created for
 * real, env by env in apply order, as a sync creates them; the Priority admission plugin refuses a
 * second default class while the first exists. Its refusals must be what `validate` (offline, the
 * pipeline's rule too) and `verify` refuse, document by document, in the same words.
 */

const priorityClass = (name: string, value: number, globalDefault?: boolean, annotations?: Record<string, string>): Manifest =>
  ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name, ...(annotations ? { annotations } : {}) },
    value,
    ...(globalDefault === undefined ? {} : { globalDefault }),
  }) as Manifest;

/** `<env>/<app>` -> its built output. */
const CORPUS: Record<string, readonly Manifest[]> = {
  // A default class in two apps of one env: b, after a, is refused; c is no default, d says so.
  'dev/a': [priorityClass('gd-a', 100, true)],
  'dev/b': [priorityClass('gd-b', 200, true)],
  'dev/c': [priorityClass('plain', 300)],
  'dev/d': [priorityClass('not-default', 400, false)],
  // Two in one file: the first is the default.
  'staging/pair': [priorityClass('gd-1', 10, true), priorityClass('gd-2', 5, true)],
  // Refused for its value (above a user class's maximum), a class is never the default: next is.
  'prod/big': [priorityClass('big', 2_000_000_000, true)],
  'prod/next': [priorityClass('next', 1, true)],
  // Argo CD never applies a Skip hook: it is no default, and is refused nothing.
  'prod/skip': [priorityClass('skipped', 2, true, { 'argocd.argoproj.io/hook': 'Skip' })],
  // Another env is another cluster: its own default.
  'qa/a': [priorityClass('gd-a', 100, true)],
};

const FORBIDDEN = /^priorityclasses\.scheduling\.k8s\.io "[^"]*" is forbidden: /;

/** The refusals of a second default among a run's problems, as [file, name, words]. */
const defaultsOf = (problems: readonly Problem[]) =>
  problems.filter((p) => p.message.includes('is already marked as default')).map((p) => [p.file, p.name ?? '', p.message.replace(/ \(.*$/, '')]);

const suite = suiteDifferential(CORPUS, async (server) => {
  await server.server.whenReady();
  // The plugin finds the default class through an informer: each class is given time to reach it.
  return createInApplyOrder(server, CORPUS, 'classes', 500);
});

describe('default PriorityClasses offline, in verify and on a real cluster', () => {
  it('the cluster refuses a second default of an env, and the class whose value it refuses', () => {
    expect(suite.real.map(([file, name, message]) => [file, name, message!.replace(FORBIDDEN, '')])).toStrictEqual([
      ['dist/dev/b.yaml', 'gd-b', 'PriorityClass gd-a is already marked as default. Only one default can exist'],
      ['dist/staging/pair.yaml', 'gd-2', 'PriorityClass gd-1 is already marked as default. Only one default can exist'],
      ['dist/prod/big.yaml', 'big', expect.stringContaining('maximum allowed value of a user defined priority is 1000000000')],
    ]);
  });

  it(
    'validate refuses the same classes in the same words, at globalDefault, naming the default',
    async () => {
      const offline = await validate(suite.repo, ['dist'], { policy: false });
      const real = suite.real.filter(([, , m]) => m!.includes('already marked as default')).map(([f, n, m]) => [f, n, m!.replace(FORBIDDEN, '')]);
      expect(defaultsOf(offline.problems)).toStrictEqual(real);
      // The class refused for its value is refused offline too, for that.
      expect(offline.problems.filter((p) => !p.message.includes('already marked as default')).map((p) => [p.file, p.name])).toStrictEqual([
        ['dist/prod/big.yaml', 'big'],
      ]);
      const b = offline.problems.find((p) => p.name === 'gd-b')!;
      expect([b.path, b.line, b.rule, b.message.replace(/^[^(]*\(/, '')]).toStrictEqual([
        'globalDefault',
        6,
        'server-validation',
        'dist/dev/a.yaml:6, applied first: the cluster creates that one and refuses this one; a dry run lets both through; keep globalDefault on one PriorityClass of the cluster)',
      ]);
    },
    BUILD_TIMEOUT,
  );

  it(
    'verify, whose dry runs create no class, refuses the same classes in the same words',
    async () => {
      const r = await verify(suite.repo, { server: suite.server.server });
      const real = suite.real.filter(([, , m]) => m!.includes('already marked as default')).map(([f, n, m]) => [f, n, m!.replace(FORBIDDEN, '')]);
      expect(defaultsOf(r.problems)).toStrictEqual(real);
      expect(
        r.problems.filter((p) => p.severity === 'error' && !p.message.includes('already marked as default')).map((p) => [p.file, p.name]),
      ).toStrictEqual([['dist/prod/big.yaml', 'big']]);
    },
    BUILD_TIMEOUT,
  );
});
