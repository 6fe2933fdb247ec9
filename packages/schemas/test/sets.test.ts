import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  builtinSchemasDir,
  crdSchemasDir,
  ensureKubernetesSet,
  KUBERNETES_VALIDATE_VERSION,
  kubernetesSetVersion,
  schemaCacheRoot,
  schemaLocations,
} from '../src/index.ts';
import { SET_REVISION } from '../src/sets.mjs';

const WHEEL = `kubernetes_validate-${KUBERNETES_VALIDATE_VERSION}-py3-none-any.whl`;

describe('kubernetesSetVersion', () => {
  it('maps every spelling of a minor version to its set', () => {
    expect(['1.34', 'v1.34', '1.34.2'].map(kubernetesSetVersion)).toStrictEqual(['1.34.0', '1.34.0', '1.34.0']);
  });

  it('refuses versions the pinned wheel does not carry, naming those it does', () => {
    expect(() => kubernetesSetVersion('1.20')).toThrow(
      'Kubernetes 1.20 is not supported: kubernetes-validate 1.37.0 carries schemas for 1.25 to 1.37',
    );
    expect(() => kubernetesSetVersion('2.1')).toThrow('Kubernetes 2.1 is not supported');
    expect(() => kubernetesSetVersion('latest')).toThrow('Invalid Kubernetes version "latest"');
  });
});

describe('schema sets of other versions, in the per-machine cache', () => {
  // A cache of its own, so the test neither depends on nor leaves behind the sets of this machine;
  // the wheel comes from the machine's cache, where setup put it (no network in tests).
  const cache = mkdtempSync(join(tmpdir(), 'strata-schema-cache-'));
  afterAll(() => rmSync(cache, { recursive: true, force: true }));
  const wheel = join(schemaCacheRoot(), `kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`, WHEEL);

  it("makes a version's set from the wheel once, then finds it", () => {
    expect(existsSync(wheel), `${wheel} is missing: run node scripts/setup.mjs`).toBe(true);
    mkdirSync(join(cache, `kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`));
    symlinkSync(wheel, join(cache, `kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`, WHEEL));
    const first = ensureKubernetesSet('1.34', { cacheRoot: cache });
    expect(first).toStrictEqual({ dir: join(cache, 'kubernetes-validate-1.37.0', 'v1.34.0-standalone-strict'), made: true });
    expect(ensureKubernetesSet('1.34.1', { cacheRoot: cache })).toStrictEqual({ ...first, made: false });

    // Strict, standalone, and really 1.34: MutatingAdmissionPolicy reached v1 in 1.36.
    const deployment = JSON.parse(readFileSync(join(first.dir, 'deployment-apps-v1.json'), 'utf8'));
    expect(deployment.additionalProperties).toBe(false);
    expect(JSON.stringify(deployment)).not.toContain('_definitions.json');
    expect(existsSync(join(first.dir, 'mutatingadmissionpolicy-admissionregistration-v1.json'))).toBe(false);
    expect(existsSync(join(builtinSchemasDir('1.36'), 'mutatingadmissionpolicy-admissionregistration-v1.json'))).toBe(true);
  });

  it('remakes a set an older generator made, whose int-or-string or quantity refused null', () => {
    const dir = join(cache, 'kubernetes-validate-1.37.0', 'v1.34.0-standalone-strict');
    const defs = () => JSON.parse(readFileSync(join(dir, 'deployment-apps-v1.json'), 'utf8')).$defs;
    const nullOnce = () => ({
      intOrString: defs()['io.k8s.apimachinery.pkg.util.intstr.IntOrString'],
      quantity: defs()['io.k8s.apimachinery.pkg.api.resource.Quantity'],
    });
    const made = {
      intOrString: { oneOf: [{ type: ['string', 'null'] }, { type: 'integer' }] },
      quantity: { oneOf: [{ type: ['string', 'null'] }, { type: 'number' }] },
    };
    expect(nullOnce()).toStrictEqual(made);
    // As a set of an older revision was: another revision, and null matching both branches.
    writeFileSync(join(dir, '.strata-set-revision'), `${SET_REVISION - 1}\n`);
    writeFileSync(
      join(dir, 'deployment-apps-v1.json'),
      '{"$defs": {"io.k8s.apimachinery.pkg.api.resource.Quantity": {"oneOf": [{"type": ["string", "null"]}, {"type": ["number", "null"]}]}}}\n',
    );
    expect(ensureKubernetesSet('1.34', { cacheRoot: cache })).toStrictEqual({ dir, made: true });
    expect(nullOnce()).toStrictEqual(made);
    expect(readFileSync(join(dir, '.strata-set-revision'), 'utf8')).toBe(`${SET_REVISION}\n`);
    expect(ensureKubernetesSet('1.34', { cacheRoot: cache })).toStrictEqual({ dir, made: false });
  });

  it('points kubeconform at the cache for a version that is not committed', () => {
    const saved = process.env.STRATA_SCHEMA_CACHE;
    process.env.STRATA_SCHEMA_CACHE = cache;
    try {
      // The CRDs' locations come first (a custom kind named as a built-in one matches its own schema), the version's built-in set last.
      expect(schemaLocations('1.34').at(-1)).toBe(
        join(cache, 'kubernetes-validate-1.37.0/v1.34.0-standalone-strict/{{.ResourceKind}}{{.KindSuffix}}.json'),
      );
      expect(schemaLocations('1.34')[0]).toBe(join(crdSchemasDir, '{{.Group}}', '{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'));
      expect(() => schemaLocations('1.30')).toThrow(
        `No built-in schemas for Kubernetes 1.30 on this machine: run node scripts/setup.mjs, which makes the set of every version strata.config.json names in ${cache}`,
      );
    } finally {
      if (saved === undefined) delete process.env.STRATA_SCHEMA_CACHE;
      else process.env.STRATA_SCHEMA_CACHE = saved;
    }
  });
});
