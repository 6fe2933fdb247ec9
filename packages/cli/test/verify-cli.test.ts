import { describe, expect, it } from 'vitest';
import { repo, strata } from './workspace.ts';

// On a fresh clone this builds the server binaries first (minutes, once per machine).
const BUILD_TIMEOUT = 15 * 60_000;

describe('strata verify PATH... | -', () => {
  it('gives the server\'s judgement on manifests from stdin, one problem line each, with file and line', () => {
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
  }, BUILD_TIMEOUT);

  it('refuses app selection together with files, before starting anything', () => {
    const r = strata(repo, ['verify', '--env', 'dev', 'dist']);
    expect(r.stderr).toMatch(/--env, --app and --against select the apps' built output; leave them out when naming files/);
    expect(r.status).toBe(2);
  });
});
