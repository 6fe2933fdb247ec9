import { describe, expect, it } from 'vitest';
import type { Problem } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { verify } from '@strata/verify';
import { BUILD_TIMEOUT, lineOf, repoWithServer } from '../../verify/test/helpers.ts';
import { validate } from '../src/index.ts';

/**
 * A required field left out is found at the line where its parent is typed (`spec:`, not the first
 * line of spec's block), offline as on the real API server: `validate` and `verify` name the same
 * line for each object.
 */

const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] } };
const CORPUS: Record<string, readonly object[]> = {
  // spec.selector missing: at `spec:`.
  'dev/no-selector': [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'no-selector', namespace: 'lines' }, spec: { replicas: 1, template } },
  ],
  // metadata.name missing: at `metadata:`.
  'dev/no-name': [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'lines', labels: { a: 'b' } }, data: { a: 'b' } }],
  // spec.template.spec.containers missing: at the inner `spec:`.
  'dev/no-containers': [
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'no-containers', namespace: 'lines' },
      spec: { template: { spec: { restartPolicy: 'Never' } } },
    },
  ],
  // backend.service.name missing: at `service:`.
  'dev/no-service-name': [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'no-service-name', namespace: 'lines' },
      spec: { rules: [{ host: 'a.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { port: { number: 80 } } } }] } }] },
    },
  ],
};

/** Per file, the lines of its errors. */
const lines = (problems: readonly Problem[]) =>
  Object.fromEntries(
    [...new Set(problems.filter((p) => p.severity === 'error').map((p) => p.file))]
      .sort()
      .map((file) => [file, [...new Set(problems.filter((p) => p.file === file && p.severity === 'error').map((p) => p.line))].sort()]),
  );

const live = repoWithServer(CORPUS, ensureHelper);

describe('the line of a missing required field', () => {
  it(
    'is the line of its parent key as typed, the same offline as on the real API server',
    async () => {
      const offline = await validate(live.repo, ['dist'], { policy: false });
      const real = await verify(live.repo, { server: live.server });
      expect(lines(offline.problems)).toStrictEqual(lines(real.problems));
      const at = (app: string, text: string, after = 0) => {
        const file = `dist/dev/${app}.yaml`;
        return lineOf(live.repo, file, text) + after;
      };
      const missing = (app: string) => offline.problems.filter((p) => p.file === `dist/dev/${app}.yaml` && /missing|Required/.test(p.message));
      expect(missing('no-selector').map((p) => p.line)).toStrictEqual([at('no-selector', 'spec:')]);
      expect(missing('no-name').map((p) => p.line)).toStrictEqual([at('no-name', 'metadata:')]);
      expect(missing('no-service-name').map((p) => p.line)).toStrictEqual([at('no-service-name', 'service:')]);
      // The inner spec, the one under template.
      expect(missing('no-containers').map((p) => p.line)).toStrictEqual([at('no-containers', 'template:', 1)]);
    },
    BUILD_TIMEOUT,
  );
});
