import { describe, expect, it } from 'vitest';
import { noLatestTag } from '../../src/rules/no-latest-tag.ts';
import { DIGEST, check, container, deployment, summary } from '../support.ts';

const withImage = (image: string, init = false) =>
  deployment('web', { pod: init ? { initContainers: [container({ name: 'setup', ports: [], image })] } : { containers: [container({ image })] } });

describe('no-latest-tag', () => {
  it('stays quiet for version tags, digests and registry ports', () => {
    const images = ['ghcr.io/acme/web:1.4.2', `ghcr.io/acme/web@${DIGEST}`, `ghcr.io/acme/web:latest@${DIGEST}`, 'registry:5000/acme/web:2'];
    expect(images.flatMap((i) => check(noLatestTag, [withImage(i)]))).toStrictEqual([]);
  });

  it('reports :latest', () => {
    expect(summary(check(noLatestTag, [withImage('nginx:latest')]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].image',
        message: 'Container "web" uses the moving tag :latest ("nginx:latest"): pin a version tag or a digest.',
      },
    ]);
  });

  it('reports an untagged init container image, even behind a registry port', () => {
    const [f] = check(noLatestTag, [withImage('registry:5000/acme/setup', true)]);
    expect(f?.path).toBe('spec.template.spec.initContainers[0].image');
    expect(f?.message).toContain('without a tag, which means :latest');
  });
});
