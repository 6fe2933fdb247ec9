import { describe, expect, it } from 'vitest';
import { UsageError, type Problem } from '@strata/project';
import { formatReport, reportError, ruleHelp, summarize } from '../src/index.ts';

const problem: Problem = {
  file: 'dist/dev/web.yaml',
  line: 12,
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'shop',
  name: 'web',
  path: 'spec.replicas',
  message: 'must be at least 2 in prod',
  rule: 'min-replicas',
  severity: 'error',
  resource: 'dist/dev/web.yaml#1',
};
const objects = [
  { id: 'dist/dev/web.yaml#1', file: 'dist/dev/web.yaml', line: 1, apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
  { id: 'dist/dev/web.yaml#2', file: 'dist/dev/web.yaml', line: 30, apiVersion: 'v1', kind: 'Service', namespace: 'shop', name: 'web' },
];
const report = { problems: [problem], summary: summarize([problem], 2), suite: 'strata validate' };

describe('formatReport', () => {
  it('gives JSON with the problems and the summary, and the phases when a run has them', () => {
    const json = JSON.parse(formatReport('json', report, '1.2.3', ruleHelp));
    expect(Object.keys(json)).toStrictEqual(['problems', 'summary']);
    expect(json.problems).toStrictEqual([problem]);
    expect(json.summary).toMatchObject({ problems: 1, errors: 1, resourcesWithProblems: 1, resources: 2 });
    const timed = JSON.parse(formatReport('json', { ...report, phases: { apply: 120 } }, '1.2.3', ruleHelp));
    expect(Object.keys(timed)).toStrictEqual(['problems', 'summary', 'phases']);
    expect(timed.phases).toStrictEqual({ apply: 120 });
  });

  it('gives JUnit with one case per resource when the run has its objects, else one per problem', () => {
    const perResource = formatReport('junit', { ...report, objects }, '1.2.3', ruleHelp);
    expect(perResource.match(/<testcase /g)).toHaveLength(2);
    expect(perResource).toContain('name="apps/v1/Deployment shop/web (line 1)"');
    expect(perResource).toContain('<failure message="dist/dev/web.yaml:12: apps/v1/Deployment shop/web: spec.replicas: must be at least 2 in prod');
    const perProblem = formatReport('junit', { ...report, suite: 'strata verify' }, '1.2.3', ruleHelp);
    expect(perProblem.match(/<testcase /g)).toHaveLength(1);
    expect(perProblem).toContain('name="strata verify"');
  });

  it('gives SARIF naming the tool, its version and each rule with its help', () => {
    const sarif = JSON.parse(formatReport('sarif', report, '1.2.3', ruleHelp));
    const run = sarif.runs[0];
    expect(run.tool.driver).toMatchObject({ name: 'strata', version: '1.2.3' });
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toStrictEqual(['min-replicas']);
    expect(run.results[0]).toMatchObject({ ruleId: 'min-replicas', level: 'error' });
    expect(run.results[0].locations[0].physicalLocation.region.startLine).toBe(12);
    expect(run.results[0].locations[0].physicalLocation.artifactLocation).toMatchObject({ uri: 'dist/dev/web.yaml' });
  });

  it('names each file by a valid URI reference: relative paths percent-encoded, absolute ones as file: URIs, stdin as /dev/stdin', () => {
    const at = (file: string) => {
      const sarif = JSON.parse(formatReport('sarif', { ...report, problems: [{ ...problem, file }] }, '1.2.3', ruleHelp));
      return sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri as string;
    };
    expect(at('sub/e f é.yml')).toBe('sub/e%20f%20%C3%A9.yml');
    expect(at('/tmp/w/sub/e f é.yml')).toBe('file:///tmp/w/sub/e%20f%20%C3%A9.yml');
    expect(at('/tmp/nm/a\nb\u001b[31m.yaml')).toBe('file:///tmp/nm/a%0Ab%1B%5B31m.yaml');
    expect(at('../x/<a>#1?.yaml')).toBe('../x/%3Ca%3E%231%3F.yaml');
    // A first segment with a colon would read as a scheme.
    expect(at('c:d.yaml')).toBe('c%3Ad.yaml');
    expect(at('<stdin>')).toBe('file:///dev/stdin');
    for (const file of ['sub/e f é.yml', '/tmp/nm/a\nb.yaml', '<stdin>', 'c:d.yaml'])
      expect(at(file)).toMatch(/^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/);
  });
});

describe('reportError', () => {
  it('makes a run that could not finish one problem about its inputs: rule usage for a usage error', () => {
    const json = JSON.parse(reportError('json', ['a.yaml', 'dist'], new UsageError('--env qa: unknown env'), '1.2.3', ruleHelp));
    expect(json.problems).toStrictEqual([{ file: 'a.yaml, dist', message: '--env qa: unknown env', rule: 'usage', severity: 'error' }]);
    expect(json.summary).toMatchObject({ problems: 1, errors: 1, resources: 0 });
  });

  it('and rule error for any other failure, in every document format', () => {
    const failure = new Error('kubeconform crashed');
    expect(JSON.parse(reportError('json', ['dist'], failure, '1.2.3', ruleHelp)).problems[0]).toMatchObject({
      rule: 'error',
      message: 'kubeconform crashed',
    });
    const junit = reportError('junit', ['dist'], failure, '1.2.3', ruleHelp);
    expect(junit).toContain('name="strata validate"');
    expect(junit).toMatch(/<failure message="dist: kubeconform crashed \[error\]" type="error"/);
    const sarif = JSON.parse(reportError('sarif', ['dist'], failure, '1.2.3', ruleHelp));
    expect(sarif.runs[0].results).toMatchObject([{ ruleId: 'error', level: 'error', message: { text: 'dist: kubeconform crashed' } }]);
  });
});
