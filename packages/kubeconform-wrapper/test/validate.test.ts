import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateWithKubeconform } from '../src/index.ts';
import type { KubeconformResult } from '../src/index.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '__fixtures__');

let byFile: Map<string, KubeconformResult>;
let all: KubeconformResult[];

beforeAll(async () => {
  all = await validateWithKubeconform({ paths: [fixtures] });
  byFile = new Map(all.map((r) => [`${basename(dirname(r.filename))}/${basename(r.filename)}`, r]));
});

function result(file: string): KubeconformResult {
  const r = byFile.get(file);
  if (!r) throw new Error(`no result for ${file}`);
  return r;
}

describe('validateWithKubeconform over the fixtures', () => {
  it('returns one result per fixture, in a stable order', () => {
    expect(all).toHaveLength(byFile.size);
    expect(all.map((r) => r.filename)).toStrictEqual([...all.map((r) => r.filename)].sort());
    expect(all.filter((r) => r.status === 'valid').map((r) => basename(r.filename))).toStrictEqual([
      'application.yaml',
      'certificate.yaml',
      'clusterpushsecret.yaml',
      'deployment.yaml',
      'externalsecret.yaml',
      'hpa.yaml',
      'ingress.yaml',
      'ingressroute.yaml',
      'scaledobject.yaml',
      'service-named-target-port.yaml',
      'service.yaml',
      'servicemonitor.yaml',
    ]);
    expect(all.filter((r) => r.filename.includes('/invalid/')).every((r) => r.status === 'invalid')).toBe(true);
    expect(all.filter((r) => r.filename.includes('/error/')).every((r) => r.status === 'error')).toBe(true);
  });

  it('accepts a Deployment with quantities as strings and as a plain number', () => {
    expect(result('valid/deployment.yaml')).toStrictEqual({
      filename: join(fixtures, 'valid', 'deployment.yaml'),
      kind: 'Deployment',
      name: 'web',
      version: 'apps/v1',
      status: 'valid',
      message: '',
      errors: [],
    });
  });

  it('accepts targetPort as an integer and as a port name', () => {
    expect(result('valid/service.yaml').status).toBe('valid');
    expect(result('valid/service-named-target-port.yaml').status).toBe('valid');
  });

  it('accepts an Ingress and an autoscaling/v2 HorizontalPodAutoscaler', () => {
    expect(result('valid/ingress.yaml')).toMatchObject({ kind: 'Ingress', version: 'networking.k8s.io/v1', status: 'valid' });
    expect(result('valid/hpa.yaml')).toMatchObject({ kind: 'HorizontalPodAutoscaler', version: 'autoscaling/v2', status: 'valid' });
  });

  it('accepts custom resources of every CRD source', () => {
    expect(result('valid/servicemonitor.yaml')).toMatchObject({ version: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', status: 'valid' });
    expect(result('valid/scaledobject.yaml')).toMatchObject({ version: 'keda.sh/v1alpha1', kind: 'ScaledObject', status: 'valid' });
    expect(result('valid/externalsecret.yaml')).toMatchObject({ version: 'external-secrets.io/v1', kind: 'ExternalSecret', status: 'valid' });
    expect(result('valid/clusterpushsecret.yaml')).toMatchObject({
      version: 'external-secrets.io/v1alpha1',
      kind: 'ClusterPushSecret',
      status: 'valid',
    });
    expect(result('valid/certificate.yaml')).toMatchObject({ version: 'cert-manager.io/v1', kind: 'Certificate', status: 'valid' });
    expect(result('valid/ingressroute.yaml')).toMatchObject({ version: 'traefik.io/v1alpha1', kind: 'IngressRoute', status: 'valid' });
    expect(result('valid/application.yaml')).toMatchObject({ version: 'argoproj.io/v1alpha1', kind: 'Application', status: 'valid' });
  });

  it('rejects an unknown field at its exact path', () => {
    expect(result('invalid/unknown-field.yaml')).toMatchObject({
      kind: 'Deployment',
      name: 'typo',
      status: 'invalid',
      message: "/spec/template/spec/containers/0: additional properties 'imagePullPolice' not allowed",
      errors: [{ path: '/spec/template/spec/containers/0', message: "additional properties 'imagePullPolice' not allowed" }],
    });
  });

  it('rejects a wrong type', () => {
    expect(result('invalid/wrong-type.yaml').errors).toStrictEqual([{ path: '/spec/replicas', message: 'got string, want null or integer' }]);
  });

  it('rejects an int-or-string that is neither, as one error', () => {
    expect(result('invalid/target-port-bool.yaml').errors).toStrictEqual([
      {
        path: '/spec/ports/0/targetPort',
        message: 'oneOf failed, none matched: got boolean, want null or string; got boolean, want integer',
      },
    ]);
  });

  it('rejects a kind spelled in the wrong case, for built-in kinds and custom resources', () => {
    expect(result('invalid/lowercase-kind.yaml').errors).toStrictEqual([{ path: '/kind', message: "value must be 'Deployment'" }]);
    expect(result('invalid/cr-lowercase-kind.yaml').errors).toStrictEqual([{ path: '/kind', message: "value must be 'Certificate'" }]);
  });

  it('rejects an unknown field under the spec of a custom resource', () => {
    expect(result('invalid/cr-unknown-field.yaml')).toMatchObject({
      kind: 'ServiceMonitor',
      status: 'invalid',
      errors: [{ path: '/spec', message: "additional properties 'sampleLimitt' not allowed" }],
    });
  });

  it("rejects a ClusterPushSecret whose pushSecretSpec misspells the field it requires, at the spec's own path", () => {
    expect(result('invalid/cr-push-secret-unknown-field.yaml').errors).toStrictEqual([
      { path: '/spec/pushSecretSpec', message: "missing property 'secretStoreRefs'" },
      { path: '/spec/pushSecretSpec', message: "additional properties 'secretStoreRef' not allowed" },
    ]);
  });

  it('rejects a wrong type in a custom resource', () => {
    expect(result('invalid/cr-wrong-type.yaml').errors).toStrictEqual([{ path: '/spec/minReplicaCount', message: 'got string, want integer' }]);
  });

  it('rejects an unknown metadata field on a custom resource', () => {
    expect(result('invalid/cr-metadata-unknown-field.yaml').errors).toStrictEqual([
      { path: '/metadata', message: "additional properties 'labelz' not allowed" },
    ]);
  });

  it('reports a missing apiVersion or kind as an error', () => {
    expect(result('error/missing-apiversion.yaml')).toMatchObject({
      kind: 'ConfigMap',
      version: '',
      status: 'error',
      message: "error while parsing: missing 'apiVersion' key",
      errors: [],
    });
    expect(result('error/missing-kind.yaml')).toMatchObject({
      kind: '',
      version: 'v1',
      status: 'error',
      message: "error while parsing: missing 'kind' key",
    });
  });

  it('reports a duplicate mapping key as an error, with its line', () => {
    expect(result('error/duplicate-key.yaml')).toMatchObject({
      kind: 'ConfigMap',
      name: 'duplicate',
      status: 'error',
      message: 'error unmarshalling resource: error converting YAML to JSON: yaml: unmarshal errors: line 7: key "key" already set in map',
    });
  });

  it('reports a custom resource without a schema as an error that says how to add it', () => {
    expect(result('error/unknown-crd.yaml')).toMatchObject({
      kind: 'Foo',
      version: 'cert-manager.io/v1',
      status: 'error',
      message: 'no schema for cert-manager.io/v1 Foo: add its CRD with strata crd add <CRD file | Go module@version folder>',
    });
  });

  it('names the apiVersion of a kind whose CRD Strata ships, rather than advise adding a CRD that crd add refuses', async () => {
    const [r] = await validateWithKubeconform({
      stdin: 'apiVersion: cert-manager.io/v1beta1\nkind: Certificate\nmetadata:\n  name: web\nspec: {}\n',
    });
    expect(r).toMatchObject({
      kind: 'Certificate',
      status: 'error',
      message:
        'no schema for cert-manager.io/v1beta1 Certificate: Strata ships the CRD of cert-manager.io Certificate, which serves cert-manager.io/v1; use that apiVersion',
    });
  });

  it('reports a built-in API the target release does not serve as an error', () => {
    expect(result('error/removed-api.yaml')).toMatchObject({
      kind: 'Ingress',
      version: 'extensions/v1beta1',
      status: 'error',
      message:
        'no schema for extensions/v1beta1 Ingress in Kubernetes 1.36.0: that release does not serve this kind at this apiVersion; check apiVersion and kind',
    });
  });

  it('names the release that removed a built-in API, and its replacement', async () => {
    const [r] = await validateWithKubeconform(
      { stdin: 'apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec: {}\n' },
      { kubernetesVersion: '1.36' },
    );
    expect(r?.message).toBe(
      'no schema for autoscaling/v2beta2 HorizontalPodAutoscaler in Kubernetes 1.36.0: that release does not serve this kind at this apiVersion; Kubernetes 1.26 removed it: use autoscaling/v2 HorizontalPodAutoscaler',
    );
  });
});

describe('validateWithKubeconform over stdin', () => {
  it('validates every document of a stream and names the source stdin', async () => {
    const results = await validateWithKubeconform({
      stdin: [
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: 1\n',
      ].join('---\n'),
    });
    expect(results).toStrictEqual([
      { filename: 'stdin', kind: 'ConfigMap', name: 'a', version: 'v1', status: 'valid', message: '', errors: [] },
      {
        filename: 'stdin',
        kind: 'ConfigMap',
        name: 'b',
        version: 'v1',
        status: 'invalid',
        message: '/data/k: got number, want null or string',
        errors: [{ path: '/data/k', message: 'got number, want null or string' }],
      },
    ]);
  });

  it('reports an empty document as empty', async () => {
    expect(await validateWithKubeconform({ stdin: '---\n' })).toMatchObject([{ filename: 'stdin', status: 'empty' }]);
  });

  it('does not check the format of quantities (the policy checks do)', async () => {
    const results = await validateWithKubeconform({
      stdin: 'apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: q\nspec:\n  limits:\n    - type: Container\n      max:\n        cpu: 100mm\n',
    });
    expect(results.map((r) => r.status)).toStrictEqual(['valid']);
  });
});

describe('validateWithKubeconform with another Kubernetes version', () => {
  it('fails with the command that makes a missing schema set, or the versions there are', async () => {
    const saved = process.env.STRATA_SCHEMA_CACHE;
    process.env.STRATA_SCHEMA_CACHE = '/nonexistent/strata-schemas';
    try {
      await expect(validateWithKubeconform({ stdin: '' }, { kubernetesVersion: '1.30' })).rejects.toThrow(
        'No built-in schemas for Kubernetes 1.30 on this machine: run node scripts/setup.mjs',
      );
    } finally {
      if (saved === undefined) delete process.env.STRATA_SCHEMA_CACHE;
      else process.env.STRATA_SCHEMA_CACHE = saved;
    }
    await expect(validateWithKubeconform({ stdin: '' }, { kubernetesVersion: '1.20' })).rejects.toThrow(
      'Kubernetes 1.20 is not supported: kubernetes-validate 1.37.0 carries schemas for 1.25 to 1.37',
    );
  });
});
