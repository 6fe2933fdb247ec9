import { describe, expect, it } from 'vitest';
import { singleReplica } from '../../src/rules/single-replica.ts';
import { check, deployment, manifest, summary, withoutNamespace } from '../support.ts';

const instance = (spec: Record<string, unknown> = {}) =>
  deployment('gethrelay-default-1', { spec: { replicas: 1, strategy: { type: 'Recreate' }, ...spec } });

describe('single-replica', () => {
  it('does nothing unless the app declares single-replica instances', () => {
    expect(check(singleReplica, [instance({ replicas: 3 })])).toStrictEqual([]);
  });

  it('stays quiet for one replica with the Recreate strategy', () => {
    expect(check(singleReplica, [instance()], { singleReplica: true })).toStrictEqual([]);
  });

  it('reports more than one replica', () => {
    expect(summary(check(singleReplica, [instance({ replicas: 2 })], { singleReplica: true }))).toStrictEqual([
      {
        name: 'gethrelay-default-1',
        path: 'spec.replicas',
        message: 'The workload runs 2 replicas of one identity: set replicas: 1 and add another workload for another instance.',
      },
    ]);
  });

  it('reports a rolling update, an unset replica count and an autoscaler', () => {
    const hpa = manifest('autoscaling/v2', 'HorizontalPodAutoscaler', 'relay', {
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'gethrelay-default-1' }, maxReplicas: 3 },
    });
    const found = check(singleReplica, [instance({ replicas: undefined, strategy: { type: 'RollingUpdate' } }), hpa], { singleReplica: true });
    expect(found.map((f) => f.path)).toStrictEqual(['spec.replicas', 'spec.strategy.type', 'spec.scaleTargetRef']);
  });

  it('takes only the autoscaling HPA and the keda.sh ScaledObject for autoscalers, not a custom kind of either name in another group', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gethrelay-default-1' };
    const customHpa = manifest('autoscaling.acme.io/v1', 'HorizontalPodAutoscaler', 'relay', { spec: { scaleTargetRef: ref } });
    const customScaledObject = manifest('acme.io/v1', 'ScaledObject', 'relay', { spec: { scaleTargetRef: ref } });
    expect(check(singleReplica, [instance(), customHpa, customScaledObject], { singleReplica: true })).toStrictEqual([]);
    const keda = manifest('keda.sh/v1alpha1', 'ScaledObject', 'relay', { spec: { scaleTargetRef: ref } });
    expect(check(singleReplica, [instance(), keda], { singleReplica: true }).map((f) => f.path)).toStrictEqual(['spec.scaleTargetRef']);
  });

  it('does not take an HPA written without a namespace, applied as written, for one of another namespace', () => {
    const hpa = withoutNamespace(
      manifest('autoscaling/v2', 'HorizontalPodAutoscaler', 'gethrelay', {
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gethrelay-default-1' }, maxReplicas: 3 },
      }),
    );
    expect(check(singleReplica, [instance(), hpa], { singleReplica: true, applyNamespace: 'default' })).toStrictEqual([]);
    expect(check(singleReplica, [instance(), hpa], { singleReplica: true })).toHaveLength(1);
  });
});
