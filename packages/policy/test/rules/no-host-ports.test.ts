import { describe, expect, it } from 'vitest';
import { noHostPorts } from '../../src/rules/no-host-ports.ts';
import { check, container, deployment, pod } from '../support.ts';

describe('no-host-ports', () => {
  it('stays quiet for container ports alone, and for hostPort: 0', () => {
    const zero = deployment('web', { pod: { containers: [container({ ports: [{ name: 'http', containerPort: 8080, hostPort: 0 }] })] } });
    expect(check(noHostPorts, [deployment(), pod(), zero])).toStrictEqual([]);
  });

  it('reports a hostPort on any container, init containers included', () => {
    const d = deployment('web', { pod: { initContainers: [container({ name: 'warm', ports: [{ containerPort: 9000, hostPort: 9000 }] })] } });
    const found = check(noHostPorts, [d]);
    expect(found.map((f) => [f.path, f.podSecurity])).toStrictEqual([['spec.template.spec.initContainers[0].ports[0].hostPort', 'baseline']]);
    expect(found[0]?.message).toBe(
      'Init container "warm" binds port 9000 on the node (hostPort): remove hostPort and reach the pod through a Service.',
    );
  });

  it('counts the containerPort of a pod on hostNetwork as a hostPort, as the API server defaults every pod, one made from a template too', () => {
    const p = pod('web', { pod: { hostNetwork: true } });
    expect(check(noHostPorts, [p]).map((f) => f.path)).toStrictEqual(['spec.containers[0].ports[0].hostPort']);
    const d = check(noHostPorts, [deployment('web', { pod: { hostNetwork: true } })]);
    expect(d.map((f) => [f.path, f.podSecurity])).toStrictEqual([['spec.template.spec.containers[0].ports[0].hostPort', 'baseline']]);
    expect(d[0]?.message).toMatch(/binds port \d+ on the node: a pod on hostNetwork gets every containerPort as a hostPort/);
    expect(check(noHostPorts, [deployment('web', { pod: { hostNetwork: false } })])).toStrictEqual([]);
  });
});
