import { describe, expect, it } from 'vitest';
import { requireProbes } from '../../src/rules/require-probes.ts';
import { check, container, deployment, summary } from '../support.ts';

describe('require-probes', () => {
  it('stays quiet with both probes, and for containers and init containers without ports', () => {
    const d = deployment('web', {
      pod: {
        containers: [container(), container({ name: 'worker', ports: [], readinessProbe: undefined, livenessProbe: undefined })],
        initContainers: [container({ name: 'migrate', readinessProbe: undefined, livenessProbe: undefined })],
      },
    });
    expect(check(requireProbes, [d])).toStrictEqual([]);
  });

  it('reports a serving container without a readinessProbe', () => {
    const d = deployment('web', { pod: { containers: [container({ readinessProbe: undefined })] } });
    expect(summary(check(requireProbes, [d]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].readinessProbe',
        message: 'Container "web" serves ports but has no readinessProbe: add one so that traffic reaches it only when it is ready.',
      },
    ]);
  });

  it('does not accept a startupProbe in place of the others', () => {
    const d = deployment('web', {
      pod: {
        containers: [container({ readinessProbe: undefined, livenessProbe: undefined, startupProbe: { httpGet: { path: '/live', port: 'http' } } })],
      },
    });
    const found = check(requireProbes, [d]);
    expect(found.map((f) => f.path)).toStrictEqual([
      'spec.template.spec.containers[0].readinessProbe',
      'spec.template.spec.containers[0].livenessProbe',
    ]);
    expect(found[1]?.message).toContain('its startupProbe stops after the first success and does not replace it');
  });

  it('checks native sidecars (init containers with restartPolicy Always) that serve ports', () => {
    const d = deployment('web', { pod: { initContainers: [container({ name: 'proxy', restartPolicy: 'Always', livenessProbe: undefined })] } });
    expect(check(requireProbes, [d])[0]?.message).toContain('Sidecar container "proxy" serves ports but has no livenessProbe');
  });
});
