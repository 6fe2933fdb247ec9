import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordBuilt } from '@strata/pipeline/stale-dist';
import { THREE_CONFIG_MAPS } from '@strata/testing/manifests';
import { inTempDir } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { repo, strata, tempWorkspace } from '@strata/testing/workspace';

// On a fresh clone this builds the server binaries first (minutes, once per machine).
const BUILD_TIMEOUT = 15 * 60_000;

describe('strata verify PATH... | -', () => {
  it(
    "gives the server's judgement on manifests from stdin, one problem line each, with file and line",
    () => {
      const input = [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: settings',
        '---',
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        '  name: web',
        'spec:',
        '  type: Balancer',
        '  ports:',
        '    - port: 80',
        '',
      ].join('\n');
      const r = strata(repo, ['verify', '-'], input);
      expect(r.stdout).toMatch(/^<stdin>:11: v1\/Service web: spec\.type: Unsupported value: "Balancer".* \[server-rejected\]$/m);
      expect(r.stdout).toMatch(/^verify: Found 1 problem in 1 of 2 resources/m);
      expect(r.stderr).toMatch(/^verify: server is Kubernetes v1\.36\.\d+$/m);
      expect(r.status).toBe(1);
    },
    BUILD_TIMEOUT,
  );

  it(
    'fails on empty stdin as validate does, with the same exit code, unless --allow-empty says nothing is expected',
    () => {
      const verified = strata(repo, ['verify', '-'], '\n');
      expect(verified.stdout.split('\n').filter((l) => l.endsWith(']'))).toStrictEqual([
        '<stdin>: no Kubernetes objects in <stdin>; point verify at the files that hold them, or pass --allow-empty where nothing is expected [no-objects]',
      ]);
      expect(verified.stdout).toMatch(/^verify: Found 1 problem and no resources/m);
      expect(verified.status).toBe(1);
      expect(strata(repo, ['validate', '--no-policy', '-'], '\n').status).toBe(verified.status);
      const allowed = strata(repo, ['verify', '--allow-empty', '-'], '\n');
      expect(allowed.stdout).toMatch(/^verify: No problems in 0 resources/m);
      expect(allowed.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  it(
    'refuses to verify nothing: with no path, in a repository without apps, it says in one line how to give it input, unless --allow-empty',
    () => {
      const ws = tempWorkspace([]);
      try {
        const dir = ws.root;
        const r = strata(dir, ['verify']);
        expect(r.stderr).toBe(
          'strata: nothing to verify: no app has an overlay in overlays/dev, overlays/staging, overlays/prod; name the files, folders or - (stdin) to verify, or pass --allow-empty where nothing is expected\n',
        );
        expect(r.stdout).toBe('');
        expect(r.status).toBe(2);
        const allowed = strata(dir, ['verify', '--allow-empty']);
        expect(allowed.stdout).toMatch(/^verify: No problems in 0 resources/m);
        expect(allowed.status).toBe(0);
      } finally {
        ws.dispose();
      }
    },
    BUILD_TIMEOUT,
  );

  it(
    'counts the objects it refuses before sending as validate counts them: in the summary line, the JSON summary and the JUnit cases',
    () => {
      inTempDir('strata-verify-count-', (dir) => {
        const file = join(dir, 'three.yaml');
        writeFileSync(file, THREE_CONFIG_MAPS);
        const text = strata(repo, ['verify', file]);
        expect(text.stdout).toMatch(/^verify: Found 2 problems in 2 of 3 resources/m);
        expect(strata(repo, ['validate', '--no-policy', file]).stdout).toMatch(/^validate: Found \d+ problems in 2 of 3 resources/m);
        const resources = (command: string) =>
          (
            JSON.parse(strata(repo, [command, ...(command === 'validate' ? ['--no-policy'] : []), '-o', 'json', file]).stdout) as {
              summary: { resources: number };
            }
          ).summary.resources;
        expect(resources('verify')).toBe(3);
        expect(resources('validate')).toBe(3);
        const cases = (command: string) =>
          [
            ...strata(repo, [command, ...(command === 'validate' ? ['--no-policy'] : []), '-o', 'junit', file]).stdout.matchAll(
              /<testcase [^>]*name="([^"]*)"/g,
            ),
          ].map((m) => m[1]);
        expect(cases('verify')).toStrictEqual(['v1/ConfigMap ok (line 4)', 'v1/ConfigMap Bad (line 8)', '?/ConfigMap typeless (line 1)']);
        expect(cases('verify')).toStrictEqual(cases('validate'));
      });
    },
    BUILD_TIMEOUT,
  );

  it(
    'applies no object Argo CD skips, and says on stderr how many it left out and where',
    () => {
      const service = (hook: string) =>
        [
          'apiVersion: v1',
          'kind: Service',
          'metadata:',
          '  name: web',
          ...(hook ? ['  annotations:', `    argocd.argoproj.io/hook: ${JSON.stringify(hook)}`] : []),
          'spec:',
          '  type: Balancer',
          '  ports:',
          '    - port: 80',
          '',
        ].join('\n');
      const skipped = strata(repo, ['verify', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n---\n${service('Skip')}`);
      expect(skipped.stdout).toMatch(/^verify: No problems in 1 resource\b/m);
      expect(skipped.stderr).toMatch(
        /^verify: 1 object not applied, as Argo CD skips them \(argocd\.argoproj\.io\/hook: Skip\): <stdin>:6 v1\/Service web$/m,
      );
      expect(skipped.status).toBe(0);
      // Beside a phase, Skip skips nothing: Argo CD applies the object as a hook of that phase.
      const hook = strata(repo, ['verify', '-'], service('PreSync,Skip'));
      expect(hook.stdout).toMatch(/^<stdin>:\d+: v1\/Service web: spec\.type: Unsupported value: "Balancer".* \[server-rejected\]$/m);
      expect(hook.stderr).not.toMatch(/not applied/);
      expect(hook.status).toBe(1);
    },
    BUILD_TIMEOUT,
  );

  it(
    'names files from the folder it runs in',
    () => {
      const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'verify', '../../base/gethrelay/service.gethrelay.yaml'], {
        cwd: join(repo, 'packages', 'cli'),
        encoding: 'utf8',
        env: { ...process.env, FORCE_COLOR: '0' },
      });
      expect(r.stdout).toMatch(/^verify: No problems in 1 resource\b/m);
      expect(r.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  it(
    'applies every document of a UTF-16 file, as kubectl does: the server refuses the second at its line',
    () => {
      inTempDir('strata-verify-utf16-', (dir) => {
        const text = [
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata: {name: first}',
          '---',
          'apiVersion: v1',
          'kind: Service',
          'metadata: {name: second}',
          'spec:',
          '  type: Balancer',
          '  ports: [{port: 80}]',
          '',
        ].join('\n');
        writeFileSync(join(dir, 'utf16.yaml'), Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]));
        const r = strata(repo, ['verify', join(dir, 'utf16.yaml')]);
        expect(r.stdout).toMatch(/utf16\.yaml:9: v1\/Service second: spec\.type: Unsupported value: "Balancer".* \[server-rejected\]$/m);
        expect(r.status).toBe(1);
      });
    },
    BUILD_TIMEOUT,
  );

  it(
    'refuses an object whose namespace is no namespace name at its metadata.namespace, in the words validate uses, and judges the others',
    () => {
      inTempDir('strata-verify-ns-', (dir) => {
        writeFileSync(join(dir, 'cr.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: shop\n');
        writeFileSync(
          join(dir, 'ns-mismatch.yaml'),
          [
            'apiVersion: v1',
            'kind: ConfigMap',
            'metadata:',
            '  name: two',
            '  namespace: Default',
            '---',
            'apiVersion: v1',
            'kind: Service',
            'metadata:',
            '  name: web',
            '  namespace: shop',
            'spec:',
            '  type: Balancer',
            '  ports:',
            '    - port: 80',
            '',
          ].join('\n'),
        );
        const files = [join(dir, 'cr.yaml'), join(dir, 'ns-mismatch.yaml')];
        const r = strata(repo, ['verify', ...files]);
        const lines = r.stdout.split('\n').filter((l) => l.endsWith(']'));
        expect(lines).toStrictEqual([
          `${files[1]}:5: v1/ConfigMap Default/two: metadata.namespace: Invalid value: "Default": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?') [server-rejected]`,
          expect.stringMatching(/ns-mismatch\.yaml:13: v1\/Service shop\/web: spec\.type: Unsupported value: "Balancer".* \[server-rejected\]$/),
        ]);
        expect(r.stdout).toMatch(/^verify: Found 2 problems in 2 of 3 resources/m);
        expect(r.stderr).not.toMatch(/^strata:/m);
        expect(r.status).toBe(1);
        // validate says the same offline, through the server's own validation code, when that is built.
        const offline = strata(repo, ['validate', ...files]);
        if (!/server field checks: not built yet/.test(offline.stderr)) {
          expect(offline.stdout.split('\n').filter((l) => l.includes('metadata.namespace'))).toStrictEqual([
            lines[0]!.replace('[server-rejected]', '[server-validation]'),
          ]);
        }
      });
    },
    BUILD_TIMEOUT,
  );

  it('refuses app selection together with files, before starting anything', () => {
    const r = strata(repo, ['verify', '--env', 'dev', 'dist']);
    expect(r.stderr).toMatch(/--env and --app select the apps' built output; leave them out when naming files/);
    expect(r.status).toBe(2);
  });

  it(
    'checks named files as an update of a folder of what is deployed now',
    () => {
      inTempDir('strata-verify-cli-', (dir) => {
        const svc = (clusterIP: string) =>
          [
            'apiVersion: v1',
            'kind: Service',
            'metadata:',
            '  name: web',
            'spec:',
            `  clusterIP: ${clusterIP}`,
            '  ports:',
            '    - port: 80',
            '',
          ].join('\n');
        mkdirSync(join(dir, 'now'));
        writeFileSync(join(dir, 'now', 'web.yaml'), svc('10.96.0.50'));
        writeFileSync(join(dir, 'next.yaml'), svc('10.96.0.51'));
        const r = strata(repo, ['verify', join(dir, 'next.yaml'), '--against', join(dir, 'now'), '--namespace', 'shop']);
        expect(r.stdout).toMatch(
          /next\.yaml:\d+: v1\/Service web: spec\.clusterIPs\[0\]: .*may not change once set \(changed since .*now, .*\[immutable-field\]$/m,
        );
        expect(r.status).toBe(1);
      });
    },
    BUILD_TIMEOUT,
  );

  it('refuses STRATA_KUBE_APISERVER without STRATA_ETCD, and the reverse, in one line naming both, before starting anything (verify and ci)', () => {
    const input = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n';
    for (const [set, unset] of [
      ['STRATA_KUBE_APISERVER', 'STRATA_ETCD'],
      ['STRATA_ETCD', 'STRATA_KUBE_APISERVER'],
    ] as const) {
      const env = { [set]: '/bin/true', [unset]: '' };
      const line = `strata: ${set} is set but ${unset} is not: they name one server together; set both (etcd v3.6.8, kube-apiserver v1.36.3) or neither`;
      const verified = strata(repo, ['verify', '-'], input, env);
      expect(verified.stderr.trim()).toBe(line);
      expect(verified.stdout).toBe('');
      expect(verified.status).toBe(2);
      const gated = strata(repo, ['ci'], undefined, env);
      expect(gated.stderr.trim()).toBe(line);
      expect(gated.status).toBe(2);
    }
  });

  it('refuses a namespace that is not a DNS label, and a git ref with named files, before starting anything', () => {
    const bad = strata(repo, ['verify', '--namespace', 'Shop_1', 'dist']);
    expect(bad.stderr).toMatch(/--namespace "Shop_1": not a namespace name; use a DNS label/);
    expect(bad.status).toBe(2);
    const ref = strata(repo, ['verify', '--against', 'HEAD~1', 'dist']);
    expect(ref.stderr).toMatch(/--against HEAD~1: with named files, name a folder of the manifests deployed now/);
    expect(ref.status).toBe(2);
  });

  it(
    'takes the node ports Services may ask for from strata.config.json, kubernetes.serviceNodePortRange, and refuses in one line a range that the flag of kube-apiserver does not take',
    () => {
      inTempDir('strata-verify-ports-', (dir) => {
        writeFileSync(
          join(dir, 'web.yaml'),
          [
            'apiVersion: v1',
            'kind: Service',
            'metadata:',
            '  name: web',
            'spec:',
            '  type: NodePort',
            '  ports:',
            '    - port: 80',
            '      nodePort: 8080',
            '',
          ].join('\n'),
        );
        const inDir = (args: readonly string[]) => {
          const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), ...args], {
            cwd: dir,
            encoding: 'utf8',
            env: { ...process.env, FORCE_COLOR: '0' },
          });
          return { status: r.status, stdout: r.stdout, stderr: r.stderr };
        };
        const byDefault = inDir(['verify', 'web.yaml']);
        expect(byDefault.stdout).toMatch(
          /^web\.yaml:9: v1\/Service web: spec\.ports\[0\]\.nodePort: Invalid value: 8080: provided port is not in the valid range\. The range of valid ports is 30000-32767 .*\[server-rejected\]$/m,
        );
        expect(byDefault.status).toBe(1);
        writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ kubernetes: { serviceNodePortRange: '8000-9000' } }));
        const configured = inDir(['verify', 'web.yaml']);
        expect(configured.stdout).toMatch(/^verify: No problems in 1 resource\b/m);
        expect(configured.status).toBe(0);
        // The flag's other forms, as the server reads them: 8000 plus 1000 more holds 8080.
        writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ kubernetes: { serviceNodePortRange: '8000+1000' } }));
        expect(inDir(['verify', 'web.yaml']).status).toBe(0);
        for (const bad of ['9000-8000', '8000 - 9000', 8000]) {
          writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ kubernetes: { serviceNodePortRange: bad } }));
          const r = inDir(['verify', 'web.yaml']);
          expect(r.stderr).toBe(
            `strata: strata.config.json:1:16: kubernetes.serviceNodePortRange: must be a range of ports as kube-apiserver's --service-node-port-range takes it, "<from>-<to>", "<from>+<count>" or one port, such as "30000-32767" (1 to 65535, <from> not above <to>); got ${JSON.stringify(bad)}\n`,
          );
          expect(r.status).toBe(2);
        }
      });
    },
    BUILD_TIMEOUT,
  );
});

describe('strata verify', () => {
  it(
    'refuses a node port that an earlier Service of the same env holds, at its line and naming that Service, and lets another env have it; validate does the same offline',
    () => {
      inTempDir('strata-verify-taken-', (dir) => {
        writeFileSync(join(dir, 'pnpm-workspace.yaml'), 'packages: []\n');
        const service = (name: string, env: string) =>
          [
            'apiVersion: v1',
            'kind: Service',
            'metadata:',
            `  name: ${name}`,
            `  namespace: shop-${env}`,
            'spec:',
            '  type: NodePort',
            '  ports:',
            '    - port: 80',
            '      nodePort: 30080',
            '',
          ].join('\n');
        for (const [env, app] of [
          ['dev', 'api'],
          ['dev', 'web'],
          ['staging', 'web'],
        ] as const) {
          mkdirSync(join(dir, 'overlays', env, app), { recursive: true });
          writeFileSync(join(dir, 'overlays', env, app, 'kustomization.yaml'), 'resources:\n  - service.yaml\n');
          writeFileSync(join(dir, 'overlays', env, app, 'service.yaml'), service(app, env));
          mkdirSync(join(dir, 'dist', env), { recursive: true });
          writeFileSync(join(dir, 'dist', env, `${app}.yaml`), service(app, env));
          // Recorded as a build of this checkout records what it writes: no [stale-build] for a copy.
          recordBuilt(dir, [{ output: `dist/${env}/${app}.yaml`, yaml: service(app, env) }]);
        }
        const inDir = (args: readonly string[]) =>
          spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), ...args], {
            cwd: dir,
            encoding: 'utf8',
            env: { ...process.env, FORCE_COLOR: '0' },
          });
        const all = inDir(['verify']);
        expect(all.stdout.split('\n').filter((l) => l.endsWith(']'))).toStrictEqual([
          'dist/dev/web.yaml:10: v1/Service shop-dev/web: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated (to Service shop-dev/api, dist/dev/api.yaml:10, applied first: the cluster creates that one and refuses this one; a dry run lets both through) [server-rejected]',
        ]);
        expect(all.status).toBe(1);
        const staging = inDir(['verify', '--env', 'staging']);
        expect(staging.stdout).toMatch(/^verify: No problems in 1 resource\b/m);
        expect(staging.status).toBe(0);
        // Offline, validate refuses the same Service at the same line in the same words, and staging passes.
        symlinkSync(join(repo, '.tools'), join(dir, '.tools'));
        const offline = inDir(['validate', '--no-policy']);
        expect(offline.stdout.split('\n').filter((l) => l.endsWith(']'))).toStrictEqual(
          all.stdout
            .split('\n')
            .filter((l) => l.endsWith(']'))
            .map((l) => l.replace(/\[server-rejected\]$/, '[server-validation]')),
        );
        expect(offline.status).toBe(1);
        expect(inDir(['validate', '--no-policy', 'dist/staging']).status).toBe(0);
      });
    },
    BUILD_TIMEOUT,
  );
});
