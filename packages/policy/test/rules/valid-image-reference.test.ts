import { describe, expect, it } from 'vitest';
import { validImageReference as rule } from '../../src/rules/valid-image-reference.ts';
import { check, container, DIGEST, deployment, manifest, podSpec, summary } from '../support.ts';

const withImage = (image: string) => deployment('web', { pod: { containers: [container({ image })] } });
const problemOf = (image: string) => check(rule, [withImage(image)])[0]?.message.split('(InvalidImageName): ')[1];

describe('valid-image-reference', () => {
  it('stays quiet for the references the kubelet pulls', () => {
    const good = [
      'nginx',
      'nginx:1.27',
      'library/nginx:1.27-alpine',
      'ghcr.io/acme/web:1.4.2',
      `ghcr.io/acme/web@${DIGEST}`,
      `ghcr.io/acme/web:1.4.2@${DIGEST}`,
      'localhost:5000/web:dev',
      'localhost/web',
      'registry.example.com:443/team/sub-team/web__api.v2:V1_x-y.z',
      '[2001:db8::1]:5000/web:1',
      'Registry.Example.com/web:1',
      'quay.io/a/b---c:1',
      `ghcr.io/acme/web@sha512:${'ab'.repeat(64)}`,
      `ghcr.io/acme/web:${'t'.repeat(128)}`,
      `ghcr.io/${'a'.repeat(250)}:1`,
      `ghcr.io/${'f'.repeat(64)}:1`,
      `${'f'.repeat(64)}:1`,
    ];
    for (const image of good) expect(check(rule, [withImage(image)]), image).toStrictEqual([]);
  });

  it('reports a tag with a space, saying where and how to fix it', () => {
    expect(summary(check(rule, [withImage('ghcr.io/x/y:bad tag')]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].image',
        message:
          'Container "web" has image "ghcr.io/x/y:bad tag", which the kubelet refuses to pull (InvalidImageName): its tag "bad tag" may hold only letters, digits, "_", "." and "-", must not start with "." or "-", and is at most 128 characters long: fix the tag.',
      },
    ]);
  });

  it('reports short, uppercase and unknown digests', () => {
    expect(problemOf('ghcr.io/x/y@sha256:abc')).toBe(
      'its digest "sha256:abc" is not 64 lowercase hex digits after "sha256:": use the full digest the registry reports.',
    );
    expect(problemOf(`ghcr.io/x/y@${DIGEST.toUpperCase().replace('SHA256', 'sha256')}`)).toContain('is not 64 lowercase hex digits');
    expect(problemOf(`ghcr.io/x/y@md5:${'a'.repeat(32)}`)).toContain('uses an algorithm the kubelet does not know');
    expect(problemOf('ghcr.io/x/y@latest')).toContain('is not an algorithm and hex digits');
    expect(problemOf(`ghcr.io/x/y@${DIGEST}@${DIGEST}`)).toContain('is not an algorithm and hex digits');
  });

  it('reports empty and malformed path components, capitals, bad registries, long tags and names', () => {
    expect(problemOf('ghcr.io//y:1')).toBe('its repository "ghcr.io//y" has an empty path component (//): fix the repository name.');
    expect(problemOf('ghcr.io/x/y/:1')).toContain('ends with an empty path component');
    expect(problemOf('ghcr.io/x/-y:1')).toContain('its repository "ghcr.io/x/-y" has the path component "-y": use lower-case letters');
    expect(problemOf('ghcr.io/x/y___z:1')).toContain('path component "y___z"');
    expect(problemOf('ghcr.io/Acme/web:1')).toBe(
      'its repository "ghcr.io/Acme/web" has the path component "Acme", which must be lower case: fix the repository name.',
    );
    expect(problemOf('Nginx:1')).toContain('which must be lower case');
    expect(problemOf('ghcr-.io/x/y:1')).toContain('has a registry host "ghcr-.io" that is not a host name');
    expect(problemOf('ghcr.io:port/x/y:1')).toContain('has a registry host "ghcr.io:port" that is not a host name');
    expect(problemOf(`ghcr.io/x/y:${'t'.repeat(129)}`)).toContain('is at most 128 characters long');
    expect(problemOf('ghcr.io/x/y:.1')).toContain('must not start with "." or "-"');
    expect(problemOf('ghcr.io/x/y:')).toContain('its tag ""');
    // The package bounds the path after the registry host, with Docker Hub's library/ for a one-component name.
    expect(problemOf(`ghcr.io/${'a'.repeat(256)}:1`)).toContain('is longer than 255 characters');
    expect(problemOf(`${'a'.repeat(248)}:1`)).toContain("is longer than 255 characters with Docker Hub's library/ before it");
    expect(problemOf('ghcr.io/acme/app:3.2.0:3.1.0')).toBe(
      'its tag "3.2.0:3.1.0" may hold only letters, digits, "_", "." and "-", must not start with "." or "-", and is at most 128 characters long: fix the tag.',
    );
    expect(problemOf('[::1]:5000')).toBeDefined();
    expect(problemOf('a'.repeat(64))).toContain('which is an image ID and not a repository name');
    expect(problemOf(' ghcr.io/x/y:1')).toBeDefined();
  });

  it('checks init and ephemeral containers, CronJobs and PodTemplates', () => {
    const bad = 'ghcr.io//y:1';
    const cron = manifest('batch/v1', 'CronJob', 'nightly', {
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: { spec: { template: { spec: podSpec({ initContainers: [container({ name: 'init', image: bad })] }) } } },
      },
    });
    const template = manifest('v1', 'PodTemplate', 'tpl', { template: { spec: podSpec({ ephemeralContainers: [{ name: 'debug', image: bad }] }) } });
    expect(summary(check(rule, [cron, template])).map((f) => [f.name, f.path, f.message.split(' has image')[0]])).toStrictEqual([
      ['nightly', 'spec.jobTemplate.spec.template.spec.initContainers[0].image', 'Init container "init"'],
      ['tpl', 'template.spec.ephemeralContainers[0].image', 'Ephemeral container "debug"'],
    ]);
  });
});
