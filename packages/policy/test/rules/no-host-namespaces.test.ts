import { describe, expect, it } from 'vitest';
import { noHostNamespaces } from '../../src/rules/no-host-namespaces.ts';
import { check, deployment, pod } from '../support.ts';

describe('no-host-namespaces', () => {
  it('stays quiet when the pod uses its own namespaces', () => {
    expect(check(noHostNamespaces, [deployment('web', { pod: { hostNetwork: false } }), pod()])).toStrictEqual([]);
  });

  it('reports each of hostNetwork, hostPID and hostIPC', () => {
    const d = deployment('web', { pod: { hostNetwork: true, hostPID: true, hostIPC: true } });
    const found = check(noHostNamespaces, [d]);
    expect(found.map((f) => f.path)).toStrictEqual(['spec.template.spec.hostNetwork', 'spec.template.spec.hostPID', 'spec.template.spec.hostIPC']);
    expect(found[0]?.message).toBe(
      "The pod sets hostNetwork: true and shares the node's network: remove hostNetwork (expose ports through a Service instead).",
    );
  });
});
