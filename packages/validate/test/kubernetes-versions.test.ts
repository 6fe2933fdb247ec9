import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot, UsageError } from '@strata/project';
import { ensureKubernetesSet, KUBERNETES_VALIDATE_VERSION, schemaCacheRoot } from '@strata/schemas';
import { kubernetesSettings, serverVersionNotes, validate } from '../src/index.ts';

const repo = findRoot(import.meta.dirname);

// admissionregistration.k8s.io/v1 MutatingAdmissionPolicy is served from Kubernetes 1.36 on.
const POLICY = [
  'apiVersion: admissionregistration.k8s.io/v1',
  'kind: MutatingAdmissionPolicy',
  'metadata:',
  '  name: team-label',
  'spec:',
  '  failurePolicy: Fail',
  '  reinvocationPolicy: Never',
  '  matchConstraints:',
  '    resourceRules:',
  '      - apiGroups: ["apps"]',
  '        apiVersions: ["v1"]',
  '        operations: ["CREATE"]',
  '        resources: ["deployments"]',
  '  mutations:',
  '    - patchType: ApplyConfiguration',
  '      applyConfiguration:',
  '        expression: \'Object{metadata: Object.metadata{labels: {"team": "platform"}}}\'',
  '',
].join('\n');

/** The sample API is a cluster-wide mutating policy, which the policy reports in an app: these tests are about schemas. */
const OFF = { dev: 'off', staging: 'off', prod: 'off' };

function workspace(config: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'strata-k8s-versions-'));
  writeFileSync(join(root, 'strata.config.json'), JSON.stringify({ ...config, policy: { severity: { 'no-admission-policy': OFF } } }));
  symlinkSync(join(repo, '.tools'), join(root, '.tools'));
  for (const env of ['dev', 'staging', 'prod']) {
    mkdirSync(join(root, 'dist', env), { recursive: true });
    writeFileSync(join(root, 'dist', env, 'admission.yaml'), POLICY);
  }
  return root;
}

describe('each env is validated against the Kubernetes version its clusters run', () => {
  const dirs: string[] = [];
  const saved = process.env.STRATA_SCHEMA_CACHE;
  beforeAll(() => {
    // 1.34 is made in a cache of this test's own, from the wheel setup keeps on this machine.
    const cache = mkdtempSync(join(tmpdir(), 'strata-schema-cache-'));
    dirs.push(cache);
    const wheels = `kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`;
    mkdirSync(join(cache, wheels));
    symlinkSync(
      join(schemaCacheRoot(), wheels, `kubernetes_validate-${KUBERNETES_VALIDATE_VERSION}-py3-none-any.whl`),
      join(cache, wheels, `kubernetes_validate-${KUBERNETES_VALIDATE_VERSION}-py3-none-any.whl`),
    );
    ensureKubernetesSet('1.34', { cacheRoot: cache });
    process.env.STRATA_SCHEMA_CACHE = cache;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.STRATA_SCHEMA_CACHE;
    else process.env.STRATA_SCHEMA_CACHE = saved;
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('an API added after 1.34 is an error in the env on 1.34 only', async () => {
    const root = workspace({ kubernetes: { version: '1.36', envs: { prod: '1.34' } } });
    dirs.push(root);
    const r = await validate(root, ['dist'], { serverChecks: false });
    expect(r.resources).toBe(3);
    expect(r.problems.map((p) => ({ file: p.file, rule: p.rule, severity: p.severity, message: p.message }))).toStrictEqual([
      {
        file: 'dist/prod/admission.yaml',
        rule: 'schema',
        severity: 'error',
        message:
          'no schema for admissionregistration.k8s.io/v1 MutatingAdmissionPolicy in Kubernetes 1.34.0: that release does not serve this kind at this apiVersion; Kubernetes 1.36 is the first that does',
      },
    ]);
  });

  it('the same files pass where every env runs 1.36, and --kubernetes-version overrides the envs', async () => {
    const root = workspace({});
    dirs.push(root);
    expect((await validate(root, ['dist'], { serverChecks: false })).problems).toStrictEqual([]);
    const forced = await validate(root, ['dist'], { serverChecks: false, kubernetesVersion: '1.34' });
    expect(forced.problems.map((p) => p.file)).toStrictEqual(['dist/dev/admission.yaml', 'dist/prod/admission.yaml', 'dist/staging/admission.yaml']);
  });

  it('counts the apps and envs that built output covers, and nothing when other files are read too', async () => {
    const root = workspace({});
    dirs.push(root);
    writeFileSync(join(root, 'dist', 'dev', 'other.yaml'), POLICY.replace('team-label', 'other'));
    expect((await validate(root, ['dist'], { serverChecks: false })).built).toStrictEqual({ apps: 2, envs: 3, files: 4 });
    expect((await validate(root, ['dist/prod'], { serverChecks: false })).built).toStrictEqual({ apps: 1, envs: 1, files: 1 });
    writeFileSync(join(root, 'admission.yaml'), POLICY);
    expect((await validate(root, ['dist', 'admission.yaml'], { serverChecks: false })).built).toBeUndefined();
  });

  it('refuses a --kubernetes-version that is malformed or has no schemas, before reading anything', async () => {
    await expect(validate(repo, ['no-such-file.yaml'], { kubernetesVersion: 'banana' })).rejects.toThrow(
      new UsageError('--kubernetes-version banana: Invalid Kubernetes version "banana": use a version such as 1.36 or 1.36.0.'),
    );
    await expect(validate(repo, ['no-such-file.yaml'], { kubernetesVersion: 'banana' })).rejects.toBeInstanceOf(UsageError);
    await expect(validate(repo, ['no-such-file.yaml'], { kubernetesVersion: '1.99' })).rejects.toThrow(
      /^--kubernetes-version 1\.99: Kubernetes 1\.99 is not supported/,
    );
  });

  it('files outside dist/ take the version of the env named for them', async () => {
    const root = workspace({ kubernetes: { envs: { prod: '1.34' } } });
    dirs.push(root);
    const file = join(root, 'admission.yaml');
    writeFileSync(file, POLICY);
    expect((await validate(root, [file], { serverChecks: false, env: 'staging' })).problems).toStrictEqual([]);
    expect((await validate(root, [file], { serverChecks: false, env: 'prod' })).problems).toHaveLength(1);
  });
});

describe('kubernetesSettings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-k8s-settings-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const settings = (config: unknown) => {
    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify(config));
    return kubernetesSettings(dir);
  };

  it('every env runs the target, 1.36, unless the project or the env says otherwise', () => {
    expect(settings({})).toStrictEqual({ version: '1.36', envs: { dev: '1.36', staging: '1.36', prod: '1.36' } });
    expect(settings({ kubernetes: { version: '1.35', envs: { prod: 'v1.34' } } })).toStrictEqual({
      version: '1.35',
      envs: { dev: '1.35', staging: '1.35', prod: '1.34' },
    });
  });

  it('a version without schemas, a wrong env or an unknown key is one line naming the field at its line and column', () => {
    expect(() => settings({ kubernetes: { envs: { prod: '1.20' } } })).toThrow(
      'strata.config.json:1:24: kubernetes.envs.prod: Kubernetes 1.20 is not supported: kubernetes-validate 1.37.0 carries schemas for 1.25 to 1.37',
    );
    expect(() => settings({ kubernetes: { version: 'banana' } })).toThrow(
      'strata.config.json:1:16: kubernetes.version: Invalid Kubernetes version "banana"',
    );
    expect(() => settings({ kubernetes: { envs: { qa: '1.35' } } })).toThrow(
      'strata.config.json:1:24: kubernetes.envs.qa: unknown env; known envs: dev, staging, prod',
    );
    expect(() => settings({ kubernetes: { versoin: '1.35' } })).toThrow(
      'strata.config.json:1:16: kubernetes.versoin: unknown setting; did you mean version?',
    );
  });

  it("reads the node ports the clusters give Services in every form kube-apiserver's flag takes, and names the field of any other in one line", () => {
    const range = (v: unknown) => settings({ kubernetes: { serviceNodePortRange: v } }).serviceNodePortRange;
    expect(range('8000-9000')).toStrictEqual({ from: 8000, to: 9000 });
    expect(range('30000+2767')).toStrictEqual({ from: 30000, to: 32767 });
    expect(range(' 8080 ')).toStrictEqual({ from: 8080, to: 8080 });
    expect(settings({ kubernetes: { version: '1.36' } }).serviceNodePortRange).toBeUndefined();
    for (const bad of ['9000-8000', '0-100', '30000-65536', '65000+1000', '30000 - 32767', '30000-31000+5', 'ports', '', 30000, null]) {
      expect(() => range(bad)).toThrow(
        new UsageError(
          `strata.config.json:1:16: kubernetes.serviceNodePortRange: must be a range of ports as kube-apiserver's --service-node-port-range takes it, "<from>-<to>", "<from>+<count>" or one port, such as "30000-32767" (1 to 65535, <from> not above <to>); got ${JSON.stringify(bad)}`,
        ),
      );
    }
  });
});

describe('serverVersionNotes', () => {
  it('names each env whose clusters run another minor version than the server', () => {
    const settings = { version: '1.36', envs: { dev: '1.36', staging: '1.36.2', prod: '1.34' } } as const;
    expect(serverVersionNotes(settings, 'v1.36.3')).toStrictEqual([
      'prod runs Kubernetes 1.34, this server 1.36: what 1.34 does not serve is reported by validate and the pipeline, not here',
    ]);
    expect(serverVersionNotes(settings, 'v1.36.3', ['dev'])).toStrictEqual([]);
  });
});
