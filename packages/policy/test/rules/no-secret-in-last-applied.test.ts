import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAST_APPLIED, noSecretInLastApplied } from '../../src/rules/no-secret-in-last-applied.ts';
import { check, manifest, summary } from '../support.ts';

const repo = join(import.meta.dirname, '..', '..', '..', '..');

/** An object of the namespace shop. */
const object = (kind: string, name: string, rest: Record<string, unknown> = {}) => manifest('v1', kind, name, rest, 'shop');
/** The object as exported after `kubectl apply`: kubectl's JSON copy of `applied` in its annotation. */
const annotated = (m: ReturnType<typeof object>, applied: Record<string, unknown>) => ({
  ...m,
  metadata: { ...m.metadata, annotations: { [LAST_APPLIED]: `${JSON.stringify(applied)}\n`, team: 'db' } },
});
const appliedSecret = (fields: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { annotations: {}, name: 'db', namespace: 'shop' },
  ...fields,
});

describe('no-secret-in-last-applied', () => {
  it("reports kubectl's copy of a Secret with values, at the annotation, even where the Secret's own fields are gone", () => {
    const applied = appliedSecret({ data: { password: 'aHVudGVyMg==' }, stringData: { 'tls.key': 'KEY', password: 'x' } });
    const secret = annotated(object('Secret', 'db', { type: 'Opaque' }), applied);
    expect(summary(check(noSecretInLastApplied, [secret]))).toStrictEqual([
      {
        name: 'db',
        path: `metadata.annotations[${LAST_APPLIED}]`,
        message: `annotation ${LAST_APPLIED}, kubectl's copy of the object as last applied, holds the values of the Secret shop/db (password, tls.key), so the secret lives in the repository: remove the annotation and rotate the secret, as the repository's history keeps what was committed`,
      },
    ]);
  });

  it('stays quiet for a copy of a Secret without values, of another kind, or that is not JSON', () => {
    const empty = appliedSecret({ data: {}, type: 'kubernetes.io/service-account-token' });
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'db', namespace: 'shop' }, data: { password: 'not secret' } };
    const custom = { apiVersion: 'example.com/v1', kind: 'Secret', metadata: { name: 'db' }, data: { a: 'b' } };
    const objects = [
      annotated(object('Secret', 'db'), empty),
      annotated(object('ConfigMap', 'db'), configMap),
      annotated(object('Secret', 'custom'), custom),
      {
        ...object('Secret', 'broken'),
        metadata: { name: 'broken', namespace: 'shop', annotations: { [LAST_APPLIED]: '{"kind":"Secret","data":' } },
      },
      object('Secret', 'plain'),
    ];
    expect(check(noSecretInLastApplied, objects)).toStrictEqual([]);
  });

  describe('in strata validate of a committed file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-policy-last-applied-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("fails at the annotation's line, with --no-policy too, as a Secret's values are never a matter of taste", () => {
      // An ExternalSecret's target, exported after it replaced a Secret that kubectl applied: the
      // Secret's fields are gone, kubectl's copy of them is not.
      const file = join(dir, 'secret.yaml');
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Secret',
          'metadata:',
          '  name: db',
          '  namespace: shop',
          '  annotations:',
          '    team: db',
          `    ${LAST_APPLIED}: |`,
          '      {"apiVersion":"v1","data":{"password":"aHVudGVyMg=="},"kind":"Secret","metadata":{"annotations":{},"name":"db","namespace":"shop"},"type":"Opaque"}',
          'type: Opaque',
          '',
        ].join('\n'),
      );
      for (const flags of [[], ['--no-policy']]) {
        const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'validate', ...flags, file], {
          cwd: repo,
          encoding: 'utf8',
          env: { ...process.env, FORCE_COLOR: '0' },
          timeout: 120_000,
          killSignal: 'SIGKILL',
        });
        expect(r.status, r.stderr).toBe(1);
        const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('[no-secret-in-last-applied]'));
        expect(lines).toStrictEqual([
          `${file}:8: v1/Secret shop/db: metadata.annotations[${LAST_APPLIED}]: annotation ${LAST_APPLIED}, kubectl's copy of the object as last applied, holds the values of the Secret shop/db (password), so the secret lives in the repository: remove the annotation and rotate the secret, as the repository's history keeps what was committed [no-secret-in-last-applied]`,
        ]);
      }
    });
  });
});
