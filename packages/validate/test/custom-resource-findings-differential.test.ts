import { describe, expect, it } from 'vitest';
import type { Problem } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { verify } from '@strata/verify';
import { BUILD_TIMEOUT, repoWithServer } from '../../verify/test/helpers.ts';
import { validate } from '../src/index.ts';

/**
 * Custom resources of the CRDs the repository keeps, offline and on the real API server (which
 * verify gives those CRDs): keyed and set lists of a CRD (`x-kubernetes-list-type: map` or `set`)
 * with an item twice, and a field of the wrong type. Each defect is refused alike, and reported
 * once offline.
 */

const route = (name: string, modifier: Record<string, unknown>) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'crs' },
  spec: {
    parentRefs: [{ name: 'gateway' }],
    rules: [{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: modifier }], backendRefs: [{ name: 'web', port: 80 }] }],
  },
});
const certificate = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name, namespace: 'crs' },
  spec: { secretName: name, issuerRef: { name: 'issuer' }, dnsNames: ['a.example'], ...spec },
});

const CORPUS: Record<string, readonly object[]> = {
  // requestHeaderModifier.set is a map keyed by name, remove a set.
  'dev/set-twice': [
    route('set-twice', {
      set: [
        { name: 'X-A', value: '1' },
        { name: 'X-A', value: '2' },
      ],
    }),
  ],
  'dev/remove-twice': [route('remove-twice', { remove: ['X-A', 'X-A'] })],
  'dev/apart': [
    route('apart', {
      set: [
        { name: 'X-A', value: '1' },
        { name: 'X-B', value: '2' },
      ],
      remove: ['X-C', 'X-D'],
    }),
  ],
  // An object where a list belongs: the schema says so, and the CRD's check would call its keys unknown fields.
  'dev/mistyped': [certificate('mistyped', { dnsNames: { 'a.example': true } })],
};

const errors = (problems: readonly Problem[], app: string) =>
  problems.filter((p) => p.severity === 'error' && p.file === `dist/dev/${app}.yaml`).map((p) => [p.rule, p.path]);

const live = repoWithServer(CORPUS, ensureHelper);

describe('custom resources offline and on the real API server', () => {
  it(
    "refuse the same objects, each defect reported once: a CRD's keyed or set list with an item twice, a field of the wrong type",
    async () => {
      const offline = await validate(live.repo, ['dist'], { policy: false });
      const real = await verify(live.repo, { server: live.server });
      const refused = (problems: readonly Problem[]) => [...new Set(problems.filter((p) => p.severity === 'error').map((p) => p.file))].sort();
      expect(refused(offline.problems)).toStrictEqual(refused(real.problems));
      expect(refused(offline.problems)).toStrictEqual(['dist/dev/mistyped.yaml', 'dist/dev/remove-twice.yaml', 'dist/dev/set-twice.yaml']);
      // The CRD's own check (the server's code) finds a repeated item, at the second one; the schema
      // kubeconform reads has no word for list types, so the defect is said once.
      expect(errors(offline.problems, 'set-twice')).toStrictEqual([['server-validation', 'spec.rules[0].filters[0].requestHeaderModifier.set[1]']]);
      expect(errors(offline.problems, 'remove-twice')).toStrictEqual([
        ['server-validation', 'spec.rules[0].filters[0].requestHeaderModifier.remove[1]'],
      ]);
      // The schema's finding, and not again as unknown fields inside the value.
      expect(errors(offline.problems, 'mistyped')).toStrictEqual([['schema', 'spec.dnsNames']]);
      expect(errors(real.problems, 'mistyped').map(([, path]) => path)).toStrictEqual(['spec.dnsNames']);
    },
    BUILD_TIMEOUT,
  );
});
