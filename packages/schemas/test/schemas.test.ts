import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_KUBERNETES_VERSION,
  availableKubernetesVersions,
  crdManifestsDir,
  crdSchemasDir,
  loadBuiltinSchema,
  normalizeKubernetesVersion,
  schemaLocations,
  schemasDir,
} from '../src/index.ts';

describe('schema sets', () => {
  it("commits the default version's built-in set", () => {
    expect(availableKubernetesVersions()).toContain(DEFAULT_KUBERNETES_VERSION);
  });

  it('returns absolute kubeconform templates, custom kinds by their whole group first, built-in kinds last', () => {
    expect(schemaLocations()).toStrictEqual([
      join(schemasDir, 'crds-json/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'),
      join(schemasDir, 'kubernetes/v1.36.0-standalone-strict/{{.ResourceKind}}{{.KindSuffix}}.json'),
    ]);
  });

  it('says which versions there are for one that has no schema set', () => {
    expect(() => schemaLocations('1.20')).toThrow('Kubernetes 1.20 is not supported: kubernetes-validate 1.37.0 carries schemas for 1.25 to 1.37');
  });

  it('normalises versions', () => {
    expect(normalizeKubernetesVersion('1.36')).toBe('1.36.0');
    expect(normalizeKubernetesVersion('v1.35.2')).toBe('1.35.2');
    expect(() => normalizeKubernetesVersion('latest')).toThrow('Invalid Kubernetes version');
  });

  it('keeps the CRD manifests and their strict schemas', () => {
    expect(existsSync(join(crdManifestsDir, 'monitoring.coreos.com_servicemonitors.yaml'))).toBe(true);
    expect(existsSync(join(crdSchemasDir, 'keda.sh/scaledobject_v1alpha1.json'))).toBe(true);
  });
});

describe('loadBuiltinSchema', () => {
  it('loads a standalone strict schema with its definitions inlined', () => {
    const schema = loadBuiltinSchema('apps/v1', 'Deployment');
    expect(schema).toBeDefined();
    expect(schema?.additionalProperties).toBe(false);
    expect(schema?.$id).toBeUndefined();
    expect(JSON.stringify(schema)).not.toContain('_definitions.json');
    expect(Object.keys(schema?.$defs as object)).toContain('io.k8s.api.core.v1.PodSpec');
  });

  it('returns the cached object on the second call', () => {
    expect(loadBuiltinSchema('v1', 'Service')).toBe(loadBuiltinSchema('v1', 'Service'));
  });

  it('does not mistake a kind from another group with the same first segment', () => {
    expect(loadBuiltinSchema('apps.example.com/v1', 'Deployment')).toBeUndefined();
  });

  it('returns undefined for custom resources and unknown versions of the schema set', () => {
    expect(loadBuiltinSchema('cert-manager.io/v1', 'Certificate')).toBeUndefined();
    expect(loadBuiltinSchema('apps/v1', 'Deployment', '1.20.0')).toBeUndefined();
  });
});
