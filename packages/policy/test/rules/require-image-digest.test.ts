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
        message: 'Container "web" uses image "ghcr.io/acme/web:1.4.2", which is not pinned by digest: give the env an image digest so it renders as repo@sha256:<digest>.',
      },
    ]);
  });

  it('reports a truncated digest', () => {
    const d = deployment('web', { pod: { containers: [container({ image: 'ghcr.io/acme/web@sha256:abc123' })] } });
    expect(check(rule, [d])[0]?.message).toContain('has a malformed digest "sha256:abc123"');
  });

  it('applies in prod only', () => {
    const ids = (env: 'dev' | 'staging' | 'prod') => runPolicy(objects(tagged), { env }).map((f) => f.rule);
    expect(ids('prod')).toContain('require-image-digest');
    expect(ids('dev')).not.toContain('require-image-digest');
    expect(ids('staging')).not.toContain('require-image-digest');
  });
});
