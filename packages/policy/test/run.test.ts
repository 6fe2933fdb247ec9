import { describe, expect, it } from 'vitest';
import { blockingFindings, rules, runPolicy, settingsProblems, severityFor, type PolicyContext, type Rule } from '../src/index.ts';
import { allowPolicy, container, defaultDeny, deployment, objects, service } from './support.ts';

const clean = () => objects(deployment(), service(), defaultDeny(), allowPolicy());
const noProbes = () =>
  objects(deployment('web', { pod: { containers: [container({ readinessProbe: undefined })] } }), service(), defaultDeny(), allowPolicy());

describe('runPolicy', () => {
  it('finds nothing in a compliant set, in every env', () => {
    for (const env of ['dev', 'staging', 'prod'] as const) expect(runPolicy(clean(), { env })).toStrictEqual([]);
    expect(runPolicy(clean())).toStrictEqual([]);
  });

  it('reports findings with the rule default severity', () => {
    const [f, ...rest] = runPolicy(noProbes(), { env: 'prod' });
    expect(rest).toStrictEqual([]);
    expect({ rule: f?.rule, severity: f?.severity, path: f?.path }).toStrictEqual({
      rule: 'require-probes',
      severity: 'error',
      path: 'spec.template.spec.containers[0].readinessProbe',
    });
  });

  it('downgrades or disables a rule per env through ctx.severity', () => {
    const severity = { 'require-probes': { dev: 'warning', staging: 'off' } } as const;
    expect(runPolicy(noProbes(), { env: 'dev', severity }).map((f) => f.severity)).toStrictEqual(['warning']);
    expect(runPolicy(noProbes(), { env: 'staging', severity })).toStrictEqual([]);
    expect(runPolicy(noProbes(), { env: 'prod', severity }).map((f) => f.severity)).toStrictEqual(['error']);
  });

  it('turns an env-limited rule on elsewhere when ctx.severity asks for it', () => {
    const tagged = objects(
      deployment('web', { pod: { containers: [container({ image: 'ghcr.io/acme/web:1.0.0' })] } }),
      service(),
      defaultDeny(),
      allowPolicy(),
    );
    expect(runPolicy(tagged, { env: 'staging' })).toStrictEqual([]);
    expect(runPolicy(tagged, { env: 'staging', severity: { 'require-image-digest': { staging: 'warning' } } }).map((f) => f.rule)).toStrictEqual([
      'require-image-digest',
    ]);
  });

  it('keeps excepted findings, carrying the reason, and does not count them as blocking', () => {
    const exceptions = [
      { rule: 'require-probes', kind: 'Deployment', name: 'web', reason: 'The vendor image has no health endpoint; tracked in OPS-42.' },
    ];
    const found = runPolicy(noProbes(), { env: 'prod', exceptions });
    expect(found.map((f) => f.exception)).toStrictEqual(['The vendor image has no health endpoint; tracked in OPS-42.']);
    expect(blockingFindings(found)).toStrictEqual([]);
  });

  it('applies an exception only to the kind and name it names', () => {
    const exceptions = [{ rule: 'require-probes', kind: 'Deployment', name: 'api', reason: 'Only the api is waived.' }];
    expect(blockingFindings(runPolicy(noProbes(), { env: 'prod', exceptions }))).toHaveLength(1);
  });

  it('throws on an exception without a reason', () => {
    expect(() => runPolicy(clean(), { exceptions: [{ rule: 'require-probes', reason: '  ' }] })).toThrow(/a reason is required/);
  });

  it('throws on exceptions and overrides for unknown rules', () => {
    expect(() => runPolicy(clean(), { exceptions: [{ rule: 'require-probe', reason: 'typo' }] })).toThrow(
      'Policy exception for rule "require-probe" names no known rule',
    );
    expect(() => runPolicy(clean(), { severity: { 'ban-latest': { dev: 'off' } } })).toThrow(
      'Severity override for "ban-latest" names no known rule',
    );
  });

  it('checks the shape of severities and exceptions before reading them, naming the key of each mistake', () => {
    // At run time nothing typed these: a string was read as a map of envs, null crashed Object.entries.
    const untyped = (v: unknown) => v as PolicyContext['severity'];
    expect(() => runPolicy(clean(), { severity: untyped({ 'require-probes': 'off' }) })).toThrow(
      new Error('Severity override for "require-probes" must map envs to levels, such as {"dev": "warning"}; got "off"'),
    );
    expect(() => runPolicy(clean(), { severity: untyped({ 'require-probes': null }) })).toThrow(
      new Error('Severity override for "require-probes" must map envs to levels, such as {"dev": "warning"}; got null'),
    );
    expect(settingsProblems({ severity: untyped('off') }).map((p) => p.path)).toStrictEqual([['severity']]);
    expect(
      settingsProblems({
        severity: untyped({ 'ban-latest': { dev: 'off' }, 'require-probes': { prod: 'of' } }),
        exceptions: [null, { rule: 'require-probe', reason: 'r' }] as unknown as PolicyContext['exceptions'],
      }),
    ).toStrictEqual([
      { path: ['exceptions', '0'], message: 'Policy exception 1 must be an object such as { rule, kind, reason }; got null' },
      { path: ['exceptions', '1', 'rule'], message: 'Policy exception for rule "require-probe" names no known rule: did you mean "require-probes"?' },
      {
        path: ['severity', 'ban-latest'],
        message: `Severity override for "ban-latest" names no known rule: use one of the rule ids listed in @strata/policy's README.`,
      },
      {
        path: ['severity', 'require-probes', 'prod'],
        message: 'Severity override for "require-probes" sets prod: "of": use dev, staging or prod with error, warning or off.',
      },
    ]);
  });

  it('orders findings by object, then by rule', () => {
    const set = objects(
      deployment('b', { pod: { hostPID: true, containers: [container({ readinessProbe: undefined })] } }),
      deployment('a', { pod: { hostIPC: true } }),
      defaultDeny(),
      allowPolicy(),
    );
    expect(runPolicy(set).map((f) => `${f.object.manifest.metadata.name} ${f.rule}`)).toStrictEqual([
      'b no-host-namespaces',
      'b require-probes',
      'a no-host-namespaces',
    ]);
  });

  it('lets a finding cap itself at warning whatever the rule severity', () => {
    const rule: Rule = {
      id: 'demo',
      description: 'demo',
      defaultSeverity: 'error',
      check: (o) => [{ rule: 'demo', object: o[0]!, message: 'x.', severity: 'warning' }],
    };
    expect(runPolicy(clean(), {}, [rule]).map((f) => f.severity)).toStrictEqual(['warning']);
  });
});

describe('severityFor', () => {
  it('uses prodSeverity in prod only', () => {
    const rule: Rule = { id: 'demo', description: 'demo', defaultSeverity: 'warning', prodSeverity: 'error', check: () => [] };
    expect([severityFor(rule, { env: 'dev' }), severityFor(rule, { env: 'prod' })]).toStrictEqual(['warning', 'error']);
  });

  it('turns require-image-digest off outside prod and in sets without an env', () => {
    const digest = rules.find((r) => r.id === 'require-image-digest')!;
    expect([severityFor(digest), severityFor(digest, { env: 'dev' }), severityFor(digest, { env: 'prod' })]).toStrictEqual(['off', 'off', 'error']);
  });
});
