import { describe, expect, it } from 'vitest';
import { serviceSelectsPods } from '../../src/rules/service-selects-pods.ts';
import { LABELS, check, deployment, service, summary, withoutNamespace } from '../support.ts';

describe('service-selects-pods', () => {
  it('stays quiet when the selector matches a pod template', () => {
    expect(check(serviceSelectsPods, [deployment(), service()])).toStrictEqual([]);
  });

  it('skips ExternalName and selector-less Services', () => {
    const external = service('gpu-server', null, [{ name: 'gpu', port: 5015 }], { type: 'ExternalName', externalName: 'gpu.example.net' });
    const headless = service('peers', null, [{ name: 'p2p', port: 30303 }], { clusterIP: 'None' });
    expect(check(serviceSelectsPods, [external, headless])).toStrictEqual([]);
  });

  it('reports a selector no pod template carries', () => {
    expect(summary(check(serviceSelectsPods, [deployment(), service('web', { 'app.kubernetes.io/name': 'api' })]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.selector',
        message:
          "The Service selects no pods: no pod template in the set has the labels app.kubernetes.io/name=api, so fix spec.selector or the workload's template labels.",
      },
    ]);
  });

  it('counts a pod template without a spec by its labels', () => {
    const labelsOnly = deployment('web', { spec: { template: { metadata: { labels: LABELS } } } });
    expect(check(serviceSelectsPods, [labelsOnly, service()])).toStrictEqual([]);
    expect(check(serviceSelectsPods, [labelsOnly, service('web', { 'app.kubernetes.io/name': 'api' })])).toHaveLength(1);
  });

  it('does not count pods of another namespace', () => {
    expect(check(serviceSelectsPods, [deployment('web', { namespace: 'other' }), service()])).toHaveLength(1);
  });

  it('places a Service or a workload written without a namespace, applied as written, in that namespace only', () => {
    const asWritten = { applyNamespace: 'default' };
    expect(check(serviceSelectsPods, [deployment('web', { namespace: 'x' }), withoutNamespace(service())], asWritten)).toHaveLength(1);
    expect(check(serviceSelectsPods, [deployment('web', { namespace: 'default' }), withoutNamespace(service())], asWritten)).toStrictEqual([]);
    expect(check(serviceSelectsPods, [withoutNamespace(deployment()), service()], asWritten)).toHaveLength(1);
  });
});
