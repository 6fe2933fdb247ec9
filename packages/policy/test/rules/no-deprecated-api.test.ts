import { describe, expect, it } from 'vitest';
import { runPolicy } from '../../src/index.ts';
import { noDeprecatedApi } from '../../src/rules/no-deprecated-api.ts';
import { check, deployment, manifest, objects, summary } from '../support.ts';

const endpoints = () => manifest('v1', 'Endpoints', 'gpu-server', { subsets: [{ addresses: [{ ip: '10.40.0.11' }], ports: [{ port: 5015 }] }] });

describe('no-deprecated-api', () => {
  it('stays quiet for current APIs and for custom resources', () => {
    const slice = manifest('discovery.k8s.io/v1', 'EndpointSlice', 'gpu-server', { addressType: 'IPv4', endpoints: [] });
    const scaled = manifest('keda.sh/v1alpha1', 'ScaledObject', 'web', { spec: { scaleTargetRef: { name: 'web' } } });
    expect(check(noDeprecatedApi, [deployment(), slice, scaled])).toStrictEqual([]);
  });

  it('names the release whose API description deprecates an API, and its replacement', () => {
    expect(summary(check(noDeprecatedApi, [endpoints()]))).toStrictEqual([
      { name: 'gpu-server', path: 'apiVersion', message: 'v1 Endpoints is deprecated since Kubernetes 1.33: use discovery.k8s.io/v1 EndpointSlice.' },
    ]);
    // Not yet deprecated in the release an env runs: nothing to say there.
    expect(check(noDeprecatedApi, [endpoints()], { kubernetesVersion: '1.32' })).toStrictEqual([]);
  });

  it('names the release that removed an API and what that env serves instead', () => {
    const hpa = manifest('autoscaling/v2beta2', 'HorizontalPodAutoscaler', 'web', { spec: {} });
    expect(summary(check(noDeprecatedApi, [hpa], { kubernetesVersion: '1.34' }))).toStrictEqual([
      {
        name: 'web',
        path: 'apiVersion',
        message:
          'autoscaling/v2beta2 HorizontalPodAutoscaler was removed in Kubernetes 1.26 (this env runs 1.34): use autoscaling/v2 HorizontalPodAutoscaler.',
      },
    ]);
  });

  it('reports a superseded prerelease API with the replacement the env serves, and a later removal', () => {
    const policy = manifest('admissionregistration.k8s.io/v1alpha1', 'MutatingAdmissionPolicy', 'team-label', { spec: {} }, undefined);
    // 1.34 serves v1beta1 but not yet v1.
    expect(summary(check(noDeprecatedApi, [policy], { kubernetesVersion: '1.34' }))[0]?.message).toBe(
      'admissionregistration.k8s.io/v1alpha1 MutatingAdmissionPolicy is a prerelease API superseded in Kubernetes 1.34: use admissionregistration.k8s.io/v1beta1 MutatingAdmissionPolicy.',
    );
    expect(summary(check(noDeprecatedApi, [policy], { kubernetesVersion: '1.36' }))[0]?.message).toBe(
      'admissionregistration.k8s.io/v1alpha1 MutatingAdmissionPolicy is a prerelease API superseded in Kubernetes 1.34: use admissionregistration.k8s.io/v1 MutatingAdmissionPolicy.',
    );
    const address = manifest(
      'networking.k8s.io/v1beta1',
      'IPAddress',
      '10.96.0.20',
      { spec: { parentRef: { resource: 'services', name: 'web', namespace: 'shop' } } },
      undefined,
    );
    expect(summary(check(noDeprecatedApi, [address], { kubernetesVersion: '1.34' }))[0]?.message).toBe(
      'networking.k8s.io/v1beta1 IPAddress is a prerelease API superseded in Kubernetes 1.33; Kubernetes 1.37 removes it: use networking.k8s.io/v1 IPAddress.',
    );
    // Not superseded in 1.36, yet gone in 1.37.
    const workload = manifest('scheduling.k8s.io/v1alpha2', 'Workload', 'train', { spec: {} });
    expect(summary(check(noDeprecatedApi, [workload], { kubernetesVersion: '1.36' }))[0]?.message).toBe(
      'scheduling.k8s.io/v1alpha2 Workload is removed in Kubernetes 1.37 (this env runs 1.36): use scheduling.k8s.io/v1beta1 Workload.',
    );
  });

  it('is a warning unless an env raises it, like every other rule', () => {
    const set = objects(endpoints());
    expect(runPolicy(set, { env: 'prod' }, [noDeprecatedApi]).map((f) => f.severity)).toStrictEqual(['warning']);
    const severity = { 'no-deprecated-api': { prod: 'error' as const, dev: 'off' as const } };
    expect(runPolicy(set, { env: 'prod', severity }, [noDeprecatedApi]).map((f) => f.severity)).toStrictEqual(['error']);
    expect(runPolicy(set, { env: 'dev', severity }, [noDeprecatedApi])).toStrictEqual([]);
  });
});
