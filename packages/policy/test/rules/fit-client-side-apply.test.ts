import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS_SIZE_LIMIT, clientSideApplyAnnotationsSize, LAST_APPLIED_ANNOTATION, lastAppliedConfiguration } from '../../src/index.ts';
import { fitClientSideApply } from '../../src/rules/fit-client-side-apply.ts';
import { check, summary } from '../support.ts';

const configMap = (data: Record<string, string>, annotations?: Record<string, string>): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'shop', ...(annotations ? { annotations } : {}) },
  data,
});

/** A ConfigMap whose annotations come to exactly `size` bytes under client-side apply. */
function configMapOfSize(size: number, annotations?: Record<string, string>): Manifest {
  const base = clientSideApplyAnnotationsSize(configMap({ blob: '' }, annotations));
  return configMap({ blob: 'x'.repeat(size - base) }, annotations);
}

describe('fit-client-side-apply', () => {
  it('writes last-applied-configuration as kubectl does: sorted compact JSON, an empty annotations map, Go escapes, a newline', () => {
    const m: Manifest = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'settings' }, data: { b: '<a & b>', a: 'é\u2028' } };
    expect(lastAppliedConfiguration(m)).toBe(
      '{"apiVersion":"v1","data":{"a":"é\\u2028","b":"\\u003ca \\u0026 b\\u003e"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"settings","namespace":"default"}}\n',
    );
  });

  it('stays quiet up to the limit, and reports one byte over with the size and the limit', () => {
    expect(check(fitClientSideApply, [configMapOfSize(ANNOTATIONS_SIZE_LIMIT)])).toStrictEqual([]);
    const [f, ...rest] = summary(check(fitClientSideApply, [configMapOfSize(ANNOTATIONS_SIZE_LIMIT + 1)]));
    expect(rest).toStrictEqual([]);
    expect(f?.path).toBe('metadata.annotations');
    expect(f?.message).toContain(`annotations ${ANNOTATIONS_SIZE_LIMIT + 1} bytes`);
    expect(f?.message).toContain(`limit of ${ANNOTATIONS_SIZE_LIMIT}`);
    expect(f?.message).toContain('kubectl apply --server-side');
  });

  it('counts other annotations twice: once themselves, once in the copy of the object (with its quotes and colon)', () => {
    const notes = { 'example.com/notes': 'n'.repeat(100 * 1024) };
    expect(clientSideApplyAnnotationsSize(configMap({}, notes)) - clientSideApplyAnnotationsSize(configMap({}, {}))).toBe(2 * (17 + 100 * 1024) + 5);
  });

  it('does not count a last-applied-configuration the object already has: kubectl replaces it', () => {
    const stale = { [LAST_APPLIED_ANNOTATION]: 's'.repeat(200 * 1024) };
    expect(clientSideApplyAnnotationsSize(configMap({ a: 'b' }, stale))).toBe(clientSideApplyAnnotationsSize(configMap({ a: 'b' })));
  });

  it('counts UTF-8 bytes, not characters', () => {
    const ascii = clientSideApplyAnnotationsSize(configMap({ a: 'x' }));
    expect(clientSideApplyAnnotationsSize(configMap({ a: '😀' })) - ascii).toBe(3);
    expect(clientSideApplyAnnotationsSize(configMap({ a: '<' })) - ascii).toBe(5);
  });
});

describe('fit-client-side-apply given the JSON text it was judged by', () => {
  const judged = (m: Manifest, json = JSON.stringify(m)) => fitClientSideApply.check([{ manifest: m, file: 'cm.yaml', json }], {}).length;

  it('judges every size alike with or without it, for the characters that grow most (9 bytes each in an annotation)', () => {
    // Around where the text alone is proof enough, and around the limit itself.
    const limitChars = Math.floor(ANNOTATIONS_SIZE_LIMIT / 9);
    const sizes = [100, 20_000, 28_000, 28_500, 28_700, 29_000, 30_000, limitChars - 40, limitChars - 20, limitChars, limitChars + 20];
    let over = 0;
    for (const ch of ['\u2028', '<', 'é', 'x'])
      for (const n of sizes) {
        const m = configMap({ a: 'b' }, { 'example.com/notes': ch.repeat(n) });
        const exact = check(fitClientSideApply, [m]).length;
        expect(judged(m), `${n} of ${JSON.stringify(ch)}`).toBe(exact);
        over += exact;
      }
    // The cases cross the limit: some are over it.
    expect(over).toBeGreaterThan(0);
  });

  it('still measures an object over the limit when given its text', () => {
    const m = configMapOfSize(ANNOTATIONS_SIZE_LIMIT + 1);
    expect(judged(m)).toBe(1);
    // A text shorter than the object (the decoder's, say) never hides it: only a small text is proof.
    expect(judged(m, JSON.stringify(m).slice(0, 40_000))).toBe(1);
  });
});
