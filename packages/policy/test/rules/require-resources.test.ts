import { describe, expect, it } from 'vitest';
import { requireResources } from '../../src/rules/require-resources.ts';
import { check, container, deployment, pod, summary } from '../support.ts';

describe('require-resources', () => {
  it('stays quiet when every container sets requests and limits, and ignores ephemeral containers', () => {
    const p = pod('web', { pod: { ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36' }] } });
    expect(check(requireResources, [deployment(), p])).toStrictEqual([]);
  });

  it('reports a sidecar without any resources once', () => {
    const d = deployment('web', { pod: { containers: [container(), container({ name: 'tor', ports: [], resources: undefined })] } });
    expect(summary(check(requireResources, [d]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[1].resources',
        message: 'Container "tor" has no resource requests or limits: set requests and limits for cpu and memory.',
      },
    ]);
  });

  it('reports each missing value of an init container', () => {
    const d = deployment('web', {
      pod: { initContainers: [container({ name: 'migrate', ports: [], resources: { requests: { cpu: '100m', memory: '64Mi' } } })] },
    });
    expect(check(requireResources, [d]).map((f) => f.path)).toStrictEqual([
      'spec.template.spec.initContainers[0].resources.limits.cpu',
      'spec.template.spec.initContainers[0].resources.limits.memory',
    ]);
  });

  it('reports a request above its limit', () => {
    const d = deployment('web', {
      pod: { containers: [container({ resources: { requests: { cpu: '2', memory: '2Gi' }, limits: { cpu: '2000m', memory: '1Gi' } } })] },
    });
    expect(summary(check(requireResources, [d]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].resources.requests.memory',
        message: 'Container "web" requests more memory (2Gi) than its limit (1Gi): raise the limit or lower the request.',
      },
    ]);
  });
});
