import { describe, expect, it } from 'vitest';
import { noProbeOrLifecycleHost } from '../../src/rules/no-probe-or-lifecycle-host.ts';
import { check, container, deployment } from '../support.ts';

describe('no-probe-or-lifecycle-host', () => {
  it('stays quiet when probes and hooks go to the pod itself (no host, or an empty one)', () => {
    const empty = deployment('web', { pod: { containers: [container({ livenessProbe: { httpGet: { path: '/live', port: 'http', host: '' } } })] } });
    expect(check(noProbeOrLifecycleHost, [deployment(), empty])).toStrictEqual([]);
  });

  it('reports a host on any probe and on lifecycle hooks, httpGet and tcpSocket', () => {
    const d = deployment('web', {
      pod: {
        containers: [
          container({
            startupProbe: { tcpSocket: { port: 8080, host: 'db' } },
            lifecycle: { postStart: { httpGet: { path: '/warm', port: 80, host: '169.254.169.254' } } },
          }),
        ],
      },
    });
    const found = check(noProbeOrLifecycleHost, [d]);
    expect(found.map((f) => [f.path, f.podSecurity])).toStrictEqual([
      ['spec.template.spec.containers[0].startupProbe.tcpSocket.host', 'baseline'],
      ['spec.template.spec.containers[0].lifecycle.postStart.httpGet.host', 'baseline'],
    ]);
    expect(found[1]?.message).toBe(
      'Container "web" sends its lifecycle.postStart httpGet to host 169.254.169.254, from the node: remove host so that it goes to the pod\'s own IP.',
    );
  });
});
