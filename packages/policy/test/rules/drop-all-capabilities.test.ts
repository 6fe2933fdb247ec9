import { describe, expect, it } from 'vitest';
import { dropAllCapabilities } from '../../src/rules/drop-all-capabilities.ts';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment, summary } from '../support.ts';

const withCaps = (capabilities: object) =>
  deployment('web', { pod: { containers: [container({ securityContext: { ...SECURE_CONTAINER_CONTEXT, capabilities } })] } });

describe('drop-all-capabilities', () => {
  it('stays quiet when ALL is dropped, with NET_BIND_SERVICE added back', () => {
    expect(check(dropAllCapabilities, [deployment(), withCaps({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] })])).toStrictEqual([]);
  });

  it('reports a container that drops only some capabilities', () => {
    expect(summary(check(dropAllCapabilities, [withCaps({ drop: ['NET_RAW'] })]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].securityContext.capabilities.drop',
        message: 'Container "web" keeps the runtime\'s default capabilities: set securityContext.capabilities.drop: [ALL].',
      },
    ]);
  });

  it('reports each added capability other than NET_BIND_SERVICE', () => {
    const [f] = check(dropAllCapabilities, [withCaps({ drop: ['ALL'], add: ['NET_BIND_SERVICE', 'SYS_ADMIN'] })]);
    expect(f?.path).toBe('spec.template.spec.containers[0].securityContext.capabilities.add[1]');
    expect(f?.message).toContain('adds capability SYS_ADMIN');
  });
});
