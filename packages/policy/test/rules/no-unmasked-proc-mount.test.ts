import { describe, expect, it } from 'vitest';
import { noUnmaskedProcMount } from '../../src/rules/no-unmasked-proc-mount.ts';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment } from '../support.ts';

const procMount = (value: string, pod: object = {}) =>
  deployment('web', { pod: { ...pod, containers: [container({ securityContext: { ...SECURE_CONTAINER_CONTEXT, procMount: value } })] } });

describe('no-unmasked-proc-mount', () => {
  it('allows Default or nothing', () => {
    expect(check(noUnmaskedProcMount, [deployment(), procMount('Default')])).toStrictEqual([]);
  });

  it('reports Unmasked as baseline outside a user namespace', () => {
    const found = check(noUnmaskedProcMount, [procMount('Unmasked')]);
    expect(found.map((f) => [f.path, f.podSecurity])).toStrictEqual([['spec.template.spec.containers[0].securityContext.procMount', 'baseline']]);
    expect(found[0]?.message).toBe('Container "web" sets procMount: Unmasked, exposing the node\'s /proc paths: remove it (Default).');
  });

  it('reports Unmasked as restricted only in a user namespace, which baseline allows', () => {
    expect(check(noUnmaskedProcMount, [procMount('Unmasked', { hostUsers: false })]).map((f) => f.podSecurity)).toStrictEqual(['restricted']);
  });
});
