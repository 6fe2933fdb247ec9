import { describe, expect, it } from 'vitest';
import { singleAutoscaler } from '../../src/rules/single-autoscaler.ts';
import { check, deployment, manifest, summary, withoutNamespace } from '../support.ts';

const hpa = (name: string, target = 'web') =>
  manifest('autoscaling/v2', 'HorizontalPodAutoscaler', name, {
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, maxReplicas: 10 },
  });
const scaledObject = (name: string, target = 'web') =>
  manifest('keda.sh/v1alpha1', 'ScaledObject', name, { spec: { scaleTargetRef: { name: target } } });

describe('single-autoscaler', () => {
  it('stays quiet with one autoscaler per workload', () => {
    expect(check(singleAutoscaler, [deployment(), deployment('api'), hpa('web'), scaledObject('api', 'api')])).toStrictEqual([]);
  });

  it('reports an HPA and a ScaledObject on the same Deployment', () => {
    expect(summary(check(singleAutoscaler, [deployment(), hpa('web'), scaledObject('web-keda')]))).toStrictEqual([
      {
        name: 'web-keda',
        path: 'spec.scaleTargetRef',
        message:
          'ScaledObject "web-keda" and HorizontalPodAutoscaler "web" both scale Deployment "web" and would fight over its replicas: keep one of them for this env.',
      },
    ]);
  });

  it('reports two HPAs on the same Deployment', () => {
    expect(check(singleAutoscaler, [deployment(), hpa('web'), hpa('web-memory')]).map((f) => f.object.manifest.metadata.name)).toStrictEqual([
      'web-memory',
    ]);
  });

  it('takes an HPA written without a namespace, applied as written, for one in that namespace', () => {
    const inDefault = manifest(
      'autoscaling/v2',
      'HorizontalPodAutoscaler',
      'web-cpu',
      {
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 10 },
      },
      'default',
    );
    const asWritten = { applyNamespace: 'default' };
    expect(check(singleAutoscaler, [withoutNamespace(hpa('web')), inDefault], asWritten).map((f) => f.object.manifest.metadata.name)).toStrictEqual([
      'web-cpu',
    ]);
    expect(check(singleAutoscaler, [withoutNamespace(hpa('web')), hpa('web-cpu')], asWritten)).toStrictEqual([]);
  });

  it('counts only the autoscaling HPA and the keda.sh ScaledObject: a custom kind of either name in another group fights no autoscaler', () => {
    const customHpa = manifest('autoscaling.acme.io/v1', 'HorizontalPodAutoscaler', 'web-custom', {
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } },
    });
    const customScaledObject = manifest('acme.io/v1', 'ScaledObject', 'web-acme', { spec: { scaleTargetRef: { name: 'web' } } });
    expect(check(singleAutoscaler, [deployment(), hpa('web'), customHpa, customScaledObject])).toStrictEqual([]);
  });

  it('tells targets apart by group: an HPA of a custom Deployment of apps.acme.io and a ScaledObject of the apps/v1 one of that name scale two workloads', () => {
    const custom = manifest('autoscaling/v2', 'HorizontalPodAutoscaler', 'web', {
      spec: { scaleTargetRef: { apiVersion: 'apps.acme.io/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 10 },
    });
    expect(check(singleAutoscaler, [deployment(), custom, scaledObject('web-keda')])).toStrictEqual([]);
    // An HPA that names no apiVersion means the kind's own group, apps.
    const unversioned = manifest('autoscaling/v2', 'HorizontalPodAutoscaler', 'web', {
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 10 },
    });
    expect(check(singleAutoscaler, [deployment(), unversioned, scaledObject('web-keda')])).toHaveLength(1);
  });
});
