import { describe, expect, it } from 'vitest';
import { runPolicy } from '../../src/index.ts';
import { requireImageDigest as rule } from '../../src/rules/require-image-digest.ts';
import { check, container, deployment, objects, summary } from '../support.ts';

const tagged = deployment('web', { pod: { containers: [container({ image: 'ghcr.io/acme/web:1.4.2' })] } });

describe('require-image-digest', () => {
  it('stays quiet for digest-pinned images', () => {
    expect(check(rule, [deployment()])).toStrictEqual([]);
  });

  it('reports a tag-only image', () => {
    expect(summary(check(rule, [tagged]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].image',
        message:
          'Container "web" uses image "ghcr.io/acme/web:1.4.2", which is not pinned by digest: give the env an image digest so it renders as repo@sha256:<digest>.',
      },
    ]);
  });

  it('reports a truncated digest', () => {
    const d = deployment('web', { pod: { containers: [container({ image: 'ghcr.io/acme/web@sha256:abc123' })] } });
    expect(check(rule, [d])[0]?.message).toContain('has a malformed digest "sha256:abc123"');
  });

  it('reports the all-zero digest that new-app writes, and other digests no registry serves', () => {
    const placeholders = [
      `sha256:${'0'.repeat(64)}`,
      `sha256:${'f'.repeat(64)}`,
      `sha256:${'deadbeef'.repeat(8)}`,
      `sha256:${'0123456789abcdef'.repeat(4)}`,
      `sha512:${'0'.repeat(128)}`,
      // The digest of zero bytes (`sha256sum </dev/null`).
      'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ];
    for (const digest of placeholders) {
      const d = deployment('web', { pod: { containers: [container({ image: `ghcr.io/acme/web@${digest}` })] } });
      expect(summary(check(rule, [d])), digest).toStrictEqual([
        {
          name: 'web',
          path: 'spec.template.spec.containers[0].image',
          message: `Container "web" uses the placeholder digest "${digest}", which no registry serves: replace it with the digest your registry reports for the release.`,
        },
      ]);
    }
  });

  it('accepts real digests, however many zeros they start with', () => {
    const real = [
      'sha256:00000000000000000000c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c1',
      'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    ];
    for (const digest of real) {
      const d = deployment('web', { pod: { containers: [container({ image: `ghcr.io/acme/web@${digest}` })] } });
      expect(check(rule, [d]), digest).toStrictEqual([]);
    }
  });

  it('applies in prod only', () => {
    const ids = (env: 'dev' | 'staging' | 'prod') => runPolicy(objects(tagged), { env }).map((f) => f.rule);
    expect(ids('prod')).toContain('require-image-digest');
    expect(ids('dev')).not.toContain('require-image-digest');
    expect(ids('staging')).not.toContain('require-image-digest');
  });
});
