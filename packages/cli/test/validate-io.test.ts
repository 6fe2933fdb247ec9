import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { suiteTempDir } from '@strata/testing/temp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '@strata/core';
import { appDirs, Layout } from '@strata/project';
import { repo, strata } from '@strata/testing/workspace';

// How `strata validate` reads and reports, end to end: pipes, FIFOs, endless input, and the CI formats.
const { dir, write } = suiteTempDir('strata-validate-io-');
const bin = join(repo, 'packages/cli/bin/strata.mjs');
const bash = (script: string) => {
  // Run from inside the workspace (its pinned kubeconform), with the files named by absolute path.
  const r = spawnSync('bash', ['-c', script], {
    cwd: process.cwd(),
    encoding: 'utf8',
    env: { ...process.env, STRATA: bin, NODE: process.execPath, DIR: dir, FORCE_COLOR: '0' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const BAD = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  portz: []\n  ports: [{port: 80}]\n';
write('bad.yaml', BAD);
const POD = [
  'apiVersion: v1',
  'kind: Pod',
  'metadata:',
  '  name: second',
  '  namespace: default',
  'spec:',
  '  containers:',
  '    - name: app',
  '      image: registry.example/app:1.0',
  '      resources:',
  '        requests:',
  '          cpu: 100mm',
  '',
].join('\n');

describe('strata validate reads every input once', () => {
  it('process substitution: the pipe is read once and its objects are judged', () => {
    const r = bash('"$NODE" "$STRATA" validate --no-policy <(cat "$DIR/bad.yaml")');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\/dev\/fd\/\d+:6: v1\/Service web: spec\.portz: unknown field/);
    expect(r.stdout).toMatch(/Found 1 problem in 1 of 1 resource\b/);
  });

  it('a FIFO is read once its writer writes, without hanging', () => {
    const r = bash(
      'mkfifo "$DIR/fifo.yaml" && (cat "$DIR/bad.yaml" > "$DIR/fifo.yaml" &) && "$NODE" "$STRATA" validate --no-policy "$DIR/fifo.yaml"',
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/fifo\.yaml:6: .*spec\.portz/);
  });

  it('endless stdin stops at the cap with exit 2 and a one-line error', () => {
    const r = bash('yes "a: b" | "$NODE" "$STRATA" validate -');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^strata: <stdin>: more than the 64 MiB an input may hold; stopped reading/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('-o json still prints one valid document when a cap stops the run', () => {
    const r = bash('yes "a: b" | "$NODE" "$STRATA" validate -o json -');
    expect(r.status).toBe(2);
    const report = JSON.parse(r.stdout) as { problems: { rule: string; message: string }[] };
    expect(report.problems.map((p) => p.rule)).toStrictEqual(['usage']);
  });

  it('- given twice is a one-line usage error, exit 2, as kubectl refuses it', () => {
    for (const command of ['validate --no-policy', 'verify']) {
      const r = bash(`cat "$DIR/bad.yaml" | "$NODE" "$STRATA" ${command} - "$DIR/bad.yaml" -`);
      expect(r.status, `${command}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr.trim()).toBe('strata: -: standard input cannot be used for more than one argument; give - once');
      expect(r.stdout).toBe('');
    }
  });

  it("a UTF-16 file is read as kubectl reads it: every document judged, at the file's own lines", () => {
    // A byte order mark, then UTF-16LE; the Pod, the second document, has a quantity kubectl's server refuses (line 17).
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: default}\ndata: {a: b}\n---\n${POD}`;
    writeFileSync(join(dir, 'utf16.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const r = bash('"$NODE" "$STRATA" validate --no-policy "$DIR/utf16.yaml"');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /utf16\.yaml:17: v1\/Pod default\/second: spec\.containers\[0\]\.resources\.requests\[cpu\]: unable to parse quantity's suffix/,
    );
    // kustomize splits its bytes on --- lines, which UTF-16 does not hold: it would build the ConfigMap alone.
    expect(r.stdout).toMatch(
      /utf16\.yaml:6: v1\/Pod default\/second: kubectl reads this UTF-16 file .* finds 2 objects; kustomize .* finds only 1: save it as UTF-8 without a byte order mark \[yaml-encoding\]/,
    );
    expect(r.stdout).toMatch(/Found 2 problems in 1 of 2 resources\b/);
  });

  it('escapes control characters and escape sequences in text output', () => {
    const r = strata(process.cwd(), [
      'validate',
      '--no-policy',
      write('ctl.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "x\\e[2Jy", namespace: shop}\nspec: {}\n'),
    ]);
    expect(r.stdout).toContain('v1/ConfigMap shop/x\\x1b[2Jy:');
    expect(r.stdout).not.toContain('\u001b');
  });
});

describe('strata validate names files from the folder it runs in', () => {
  // As every shell tool does: a path typed in a subfolder means that subfolder's file, not one under the workspace root.
  const sub = join(repo, 'packages', 'cli');
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, 'validate', '--no-policy', ...args], {
      cwd: sub,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  it('reads a relative path from the working folder and names it as typed, an absolute one in full', () => {
    const r = run('../../base/gethrelay/service.gethrelay.yaml');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/No problems in 1 resource\b/);
    const typed = relative(sub, join(dir, 'bad.yaml'));
    const bad = run(join('..', '..', 'base', 'gethrelay'), typed);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(`${typed}:6: v1/Service web: spec.portz: unknown field`);
    expect(run(join(dir, 'bad.yaml')).stdout).toContain(`${join(dir, 'bad.yaml')}:6: v1/Service web: spec.portz: unknown field`);
  });

  it('a relative path that is not there is named as typed, exit 2', () => {
    const r = run('base/gethrelay');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('strata: base/gethrelay: no such file or folder');
  });
});

describe('strata validate without the server field checks', () => {
  // A machine whose server cache is empty (a fresh CI runner): the checks cannot run, and every report says so.
  const empty = mkdtempSync(join(tmpdir(), 'strata-no-servers-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));
  const badName = write('bad-name.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "Bad_Name", namespace: default}\ndata: {a: b}\n');
  const run = (...args: string[]) =>
    strata(process.cwd(), ['validate', '--no-policy', ...args, badName], undefined, { STRATA_SERVER_CACHE: empty, CI: '' });
  const NOTE = /^server field checks: not built yet; run `.+` \(minutes, once per machine\)$/;

  it('passes, as the checks that ran found nothing, and the summary line says the server field checks did not run', () => {
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^validate: No problems in 1 resource; the server field checks did not run \(/m);
    expect(r.stderr.trim()).toMatch(NOTE);
  });

  it('json: the summary names the skipped check and the notes say why', () => {
    const r = run('-o', 'json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { problems: unknown[]; summary: { errors: number; skipped?: string[] }; notes?: string[] };
    expect([report.problems, report.summary.errors, report.summary.skipped]).toStrictEqual([[], 0, ['server field checks']]);
    expect(report.notes).toHaveLength(1);
    expect(report.notes![0]).toMatch(NOTE);
  });

  it('junit: the check is a skipped test case beside the resource that passed', () => {
    const r = run('-o', 'junit');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/<testsuites name="strata validate" tests="2" failures="0" errors="0" skipped="1"/);
    expect(r.stdout).toMatch(
      /<testcase classname="strata validate" name="server field checks">\s*<skipped\/>\s*<system-out><!\[CDATA\[server field checks: not built yet/,
    );
  });

  it('sarif: a warning notification of the run says the check did not run', () => {
    const r = run('-o', 'sarif');
    expect(r.status).toBe(0);
    const log = JSON.parse(r.stdout) as {
      runs: {
        results: unknown[];
        invocations?: { executionSuccessful: boolean; toolExecutionNotifications: { level: string; message: { text: string } }[] }[];
      }[];
    };
    const run0 = log.runs[0]!;
    expect(run0.results).toStrictEqual([]);
    const notifications = run0.invocations?.[0]?.toolExecutionNotifications ?? [];
    expect(notifications.map((n) => n.level)).toStrictEqual(['warning']);
    expect(notifications[0]!.message.text).toMatch(NOTE);
  });
});

describe('CI formats', () => {
  // The repository's own built output has policy exceptions with reasons.
  const dist = ['validate', 'dist'];
  // `npm run build` writes dist/; a checkout where only `npm test` ran has none yet, or only the
  // one app another test built.
  beforeAll(() => {
    const complete = appDirs(repo).every((app) => ENVIRONMENTS.every((env) => existsSync(join(repo, Layout.distOf(env, app)))));
    if (!complete) expect(strata(repo, ['build']).status).toBe(0);
  }, 120_000);

  it('text: excepted findings are one line, listed with --list-excepted', () => {
    const r = strata(repo, dist);
    const excepted = r.stdout.split('\n').filter((l) => l.includes('(excepted:'));
    expect(excepted).toStrictEqual([]);
    expect(r.stdout).toMatch(
      /^\d+ findings? excepted by the apps' policy exceptions, each with a reason \(.+\); `strata validate --list-excepted` lists them$/m,
    );
    const listed = strata(repo, [...dist, '--list-excepted']);
    expect(listed.stdout.split('\n').filter((l) => l.includes('(excepted:')).length).toBeGreaterThan(0);
  });

  it('sarif: excepted findings carry a suppression with the reason; rules carry a description and help', () => {
    const r = strata(repo, [...dist, '-o', 'sarif']);
    const log = JSON.parse(r.stdout) as {
      runs: {
        tool: { driver: { rules: { id: string; shortDescription: { text: string }; help?: { text: string } }[] } };
        results: { ruleId: string; suppressions?: { kind: string; justification: string }[] }[];
      }[];
    };
    const run = log.runs[0]!;
    const suppressed = run.results.filter((x) => x.suppressions);
    expect(suppressed.length).toBeGreaterThan(0);
    for (const s of suppressed) expect(s.suppressions![0]).toMatchObject({ kind: 'external', justification: expect.stringMatching(/\w/) });
    for (const rule of run.tool.driver.rules) {
      expect(rule.shortDescription.text).not.toBe(rule.id);
      expect(rule.help?.text.length).toBeGreaterThan(10);
    }
  });

  it('junit: one test case per resource, passing ones included', () => {
    const r = strata(repo, [...dist, '-o', 'junit']);
    const json = JSON.parse(strata(repo, [...dist, '-o', 'json']).stdout) as { summary: { resources: number } };
    const json2 = json as { summary: { resources: number; skipped?: string[] } };
    // And a skipped case for each check that did not run, on a machine without the server checks' helper.
    const cases = r.stdout.match(/<testcase /g)?.length ?? 0;
    expect(cases).toBe(json2.summary.resources + (json2.summary.skipped?.length ?? 0));
    expect(r.stdout).toMatch(/tests="(\d+)" failures="0"/);
  });

  it('junit and sarif of one failing file: the failure is the resource that has it', () => {
    const junit = strata(process.cwd(), ['validate', '--no-policy', '-o', 'junit', join(dir, 'bad.yaml')]);
    expect(junit.stdout).toMatch(/<testsuites name="strata validate" tests="1" failures="1"/);
    expect(junit.stdout).toContain('spec.portz: unknown field');
  });
});
