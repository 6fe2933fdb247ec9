import { describe, expect, it } from 'vitest';
import { runPolicy, staleExceptions, unusedExceptions, type PolicyException } from '../src/index.ts';
import { container, defaultDeny, deployment, manifest, objects, podSpec, service } from './support.ts';

const app = () => objects(deployment('web'), deployment('worker'), service('web'), defaultDeny(), manifest('v1', 'ConfigMap', 'settings'));
const reason = 'made in the cluster';

describe('unusedExceptions', () => {
  it('passes exceptions that match some object, by kind, name and namespace or by none of them', () => {
    const exceptions = [
      { rule: 'resolve-references', kind: 'Deployment', reason },
      { rule: 'require-probes', kind: 'Deployment', name: 'worker', namespace: 'shop', reason },
      { rule: 'require-probes', name: 'web', reason },
      { rule: 'require-probes', reason },
    ];
    expect(unusedExceptions(exceptions, app())).toStrictEqual([]);
    expect(unusedExceptions(undefined, app())).toStrictEqual([]);
  });

  it('names a misspelt kind, at its key, with the kind meant', () => {
    expect(unusedExceptions([{ rule: 'resolve-references', kind: 'Deploymnet', reason }], app())).toStrictEqual([
      {
        path: ['exceptions', '0', 'kind'],
        message:
          'Policy exception for rule "resolve-references" on Deploymnet waives nothing: no object of the app, in any env, is a Deploymnet; did you mean kind "Deployment"?',
      },
    ]);
  });

  it('names a misspelt name among the objects of its kind, and a wrong namespace', () => {
    const [name, namespace] = unusedExceptions(
      [
        { rule: 'require-probes', kind: 'Deployment', name: 'wroker', reason },
        { rule: 'require-probes', kind: 'Deployment', name: 'web', namespace: 'shoq', reason },
      ],
      app(),
    );
    expect(name).toStrictEqual({
      path: ['exceptions', '0', 'name'],
      message:
        'Policy exception for rule "require-probes" on Deployment wroker waives nothing: no object of the app, in any env, is a Deployment named "wroker"; did you mean name "worker"?',
    });
    expect(namespace?.path).toStrictEqual(['exceptions', '1', 'namespace']);
    expect(namespace?.message).toContain('is a Deployment named "web" in namespace "shoq"; did you mean namespace "shop"?');
  });

  it('lists the values there are when none is close', () => {
    const [p] = unusedExceptions([{ rule: 'require-probes', kind: 'Deployment', name: 'frontend', reason }], app());
    expect(p?.message).toMatch(/is a Deployment named "frontend": use one of "web", "worker", or remove the exception\.$/);
    const [k] = unusedExceptions([{ rule: 'require-probes', kind: 'CronJob', reason }], app());
    expect(k?.message).toMatch(/is a CronJob: use one of "Deployment", "Service", "NetworkPolicy", "ConfigMap", or remove the exception\.$/);
  });
});

describe('staleExceptions', () => {
  // worker serves a port without a readinessProbe, so require-probes reports it; web passes every rule.
  const unready = deployment('worker', { pod: podSpec({ containers: [container({ readinessProbe: undefined })] }) });
  const set = () => objects(deployment('web'), unready, service('web'), defaultDeny());
  const stale = (exceptions: PolicyException[]) => {
    const objs = set();
    return staleExceptions(exceptions, objs, runPolicy(objs, { env: 'prod', exceptions }));
  };

  it('passes an exception that waives a finding', () => {
    const exceptions = [{ rule: 'require-probes', kind: 'Deployment', name: 'worker', reason }];
    expect(runPolicy(set(), { env: 'prod', exceptions }).filter((f) => f.exception === reason)).toHaveLength(1);
    expect(stale(exceptions)).toStrictEqual([]);
  });

  it('names an exception that matches objects on which its rule reports nothing, at its rule', () => {
    expect(stale([{ rule: 'require-probes', kind: 'Deployment', name: 'web', reason }])).toStrictEqual([
      {
        path: ['exceptions', '0', 'rule'],
        message:
          'Policy exception for rule "require-probes" on Deployment web waives nothing: the rule reports nothing on the objects it matches, in any env; remove the exception (it would waive a finding nobody has judged yet).',
      },
    ]);
  });

  it('names an exception whose findings an earlier one already waives', () => {
    const exceptions = [
      { rule: 'require-probes', kind: 'Deployment', reason },
      { rule: 'require-probes', name: 'worker', reason },
    ];
    expect(stale(exceptions)).toStrictEqual([
      {
        path: ['exceptions', '1', 'rule'],
        message:
          'Policy exception for rule "require-probes" on worker waives nothing: exception 1 before it waives the same findings; remove one of them.',
      },
    ]);
  });

  it('leaves an exception that matches no object to unusedExceptions', () => {
    expect(stale([{ rule: 'require-probes', kind: 'CronJob', reason }])).toStrictEqual([]);
  });
});
