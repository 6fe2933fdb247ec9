import { describe, expect, it } from 'vitest';
import { scaleTargetExists } from '../../src/rules/scale-target-exists.ts';
import { check, deployment, manifest, summary, withoutNamespace } from '../support.ts';

const hpa = (name: string, kind = 'Deployment') =>
  manifest('autoscaling/v2', 'HorizontalPodAutoscaler', 'web', {
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind, name }, minReplicas: 2, maxReplicas: 10 },
  });
const scaledObject = (name: string) => manifest('keda.sh/v1alpha1', 'ScaledObject', 'web', { spec: { scaleTargetRef: { name }, triggers: [] } });

describe('scale-target-exists', () => {
  it('stays quiet when the HPA and the ScaledObject (default kind Deployment) name an existing workload', () => {
    expect(check(scaleTargetExists, [deployment(), hpa('web'), scaledObject('web')])).toStrictEqual([]);
  });

  it('reports an HPA whose target is not in the set', () => {
    expect(summary(check(scaleTargetExists, [deployment(), hpa('api')]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.scaleTargetRef.name',
        message: 'scaleTargetRef names Deployment "api", which is not in the set: fix the name and kind or add the workload.',
      },
    ]);
  });

  it('reports a target of the wrong kind and a ScaledObject with a wrong name', () => {
    const found = check(scaleTargetExists, [deployment(), hpa('web', 'StatefulSet'), scaledObject('wbe')]);
    expect(found.map((f) => f.message.split(',')[0])).toStrictEqual([
      'scaleTargetRef names StatefulSet "web"',
      'scaleTargetRef names Deployment "wbe"',
    ]);
  });

  it('looks for the target of an HPA written without a namespace, applied as written, in that namespace only', () => {
    const asWritten = { applyNamespace: 'default' };
    expect(check(scaleTargetExists, [deployment(), withoutNamespace(hpa('web'))], asWritten)).toHaveLength(1);
    expect(check(scaleTargetExists, [deployment('web', { namespace: 'default' }), withoutNamespace(hpa('web'))], asWritten)).toStrictEqual([]);
    expect(check(scaleTargetExists, [deployment(), withoutNamespace(hpa('web'))])).toStrictEqual([]);
  });

  it('reads HPAs and ScaledObjects by group and kind: a custom kind of either name in another group scales nothing', () => {
    const customHpa = manifest('autoscaling.acme.io/v1', 'HorizontalPodAutoscaler', 'web', {
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' } },
    });
    const customScaledObject = manifest('acme.io/v1', 'ScaledObject', 'web', { spec: { scaleTargetRef: { name: 'api' } } });
    expect(check(scaleTargetExists, [deployment(), customHpa, customScaledObject])).toStrictEqual([]);
  });

  it('finds the target by group and kind: a custom Deployment of another group is not the apps/v1 one an HPA scales, nor the other way round', () => {
    const custom = manifest('apps.acme.io/v1', 'Deployment', 'web', { spec: {} });
    expect(summary(check(scaleTargetExists, [custom, hpa('web')]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.scaleTargetRef.name',
        message: 'scaleTargetRef names Deployment "web", which is not in the set: fix the name and kind or add the workload.',
      },
    ]);
    // KEDA's default target is an apps/v1 Deployment too.
    expect(check(scaleTargetExists, [custom, scaledObject('web')])).toHaveLength(1);
    const toCustom = manifest('autoscaling/v2', 'HorizontalPodAutoscaler', 'web', {
      spec: { scaleTargetRef: { apiVersion: 'apps.acme.io/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10 },
    });
    expect(check(scaleTargetExists, [custom, toCustom])).toStrictEqual([]);
    expect(summary(check(scaleTargetExists, [deployment(), toCustom])).map((f) => f.message)).toStrictEqual([
      'scaleTargetRef names Deployment of apps.acme.io/v1 "web", which is not in the set: fix the name and kind or add the workload.',
    ]);
  });
});
