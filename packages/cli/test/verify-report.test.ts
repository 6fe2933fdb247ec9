import { describe, expect, it } from 'vitest';
import { repo, strata } from '@strata/testing/workspace';

// A report format promises one valid document on stdout, also when the run cannot start: a CI step
// `strata verify ... -o sarif > verify.sarif` then uploads a report naming the mistake, as validate's does.

/** [what is wrong, the arguments, the input named in the report] */
const CASES: [string, string[], string][] = [
  ['an unknown env', ['--env', 'qa'], 'dist'],
  ['an unknown app', ['--app', 'nope'], 'dist'],
  ['a missing file', ['/tmp/strata-no-such-file.yaml'], '/tmp/strata-no-such-file.yaml'],
  ['a --namespace that is no namespace name', ['--namespace', 'Bad_NS', 'x.yaml'], 'x.yaml'],
];

describe('strata verify -o json|junit|sarif when the run cannot start', () => {
  it.each(CASES)('prints one valid report naming %s, with exit 2 and its one line on stderr', { timeout: 120_000 }, (_, args, input) => {
    const text = strata(repo, ['verify', ...args]);
    expect(text.status).toBe(2);
    const [line, ...rest] = text.stderr.trimEnd().split('\n');
    expect(rest).toStrictEqual([]);
    const message = line!.replace(/^strata: /, '');
    expect(text.stdout).toBe('');

    const json = strata(repo, ['verify', ...args, '-o', 'json']);
    expect(json.status).toBe(2);
    const report = JSON.parse(json.stdout) as { problems: { file: string; message: string; rule: string; severity: string }[] };
    expect(report.problems).toStrictEqual([{ file: input, message, rule: 'usage', severity: 'error' }]);

    const sarif = strata(repo, ['verify', ...args, '-o', 'sarif']);
    expect(sarif.status).toBe(2);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: { results: { ruleId: string; message: { text: string } }[] }[] };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.results.map((r) => r.ruleId)).toStrictEqual(['usage']);
    expect(log.runs[0]!.results[0]!.message.text).toContain(message);

    const junit = strata(repo, ['verify', ...args, '-o', 'junit']);
    expect(junit.status).toBe(2);
    expect(junit.stdout).toMatch(/^<\?xml /);
    expect(junit.stdout).toContain('strata verify');
    expect(junit.stdout).toMatch(/<failure /);
  });
});
