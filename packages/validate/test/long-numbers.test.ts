import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { decodeInProcess, decoderPath } from '../src/decode.ts';
import { parseInputs } from '../src/index.ts';

const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-long-numbers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Integers past 2^53 are rounded by JSON.parse; each object that may hold one carries the text kubectl
// sends for it, which the checks in other processes are given instead of JSON.stringify of the object.
const POD = [
  'apiVersion: v1',
  'kind: Pod',
  'metadata:',
  '  name: p',
  'spec:',
  '  terminationGracePeriodSeconds: 9223372036854775807',
  '  activeDeadlineSeconds: 9223372036854775808',
  '  containers:',
  '    - name: app',
  '      image: nginx:1.27',
  '',
].join('\n');
const SENT =
  '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"activeDeadlineSeconds":9223372036854776000,' +
  '"containers":[{"image":"nginx:1.27","name":"app"}],"terminationGracePeriodSeconds":9223372036854775807}}';
const LIST = [
  'apiVersion: v1',
  'kind: ConfigMapList',
  'items:',
  '  - {apiVersion: v1, kind: ConfigMap, metadata: {name: small}, data: {a: "1"}}',
  '  - {metadata: {name: big, deletionGracePeriodSeconds: -9223372036854775808}}',
  '',
].join('\n');

describe('objects with integers past 2^53', () => {
  it.skipIf(!decoderPath(repo))('keep every digit kubectl sends, as the decoder reads them', async () => {
    writeFileSync(join(dir, 'pod.yaml'), POD);
    writeFileSync(join(dir, 'list.yaml'), LIST);
    writeFileSync(join(dir, 'small.yaml'), POD.replace('name: p', 'name: small').replace(/: 922\d+/g, ': 900719925474099'));
    const parsed = await parseInputs(repo, [dir]);
    const byName = new Map(parsed.docs.map((d) => [String(d.manifest.metadata.name), d]));
    expect(byName.get('p')?.json).toBe(SENT);
    expect(byName.get('small')?.json).toBeUndefined();
    expect(byName.get('big')?.json).toBe(
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"deletionGracePeriodSeconds":-9223372036854775808,"name":"big"}}',
    );
    // The object itself is what JSON.parse reads, for the checks in this process.
    expect(byName.get('p')?.manifest.spec).toMatchObject({ terminationGracePeriodSeconds: 2 ** 63 });
  });

  it('keep every digit kubectl sends without the decoder too', () => {
    const pod = decodeInProcess(Buffer.from(POD)).chunks[0]!.objects[0]!;
    expect(JSON.parse(pod.json!)).toStrictEqual(JSON.parse(SENT));
    expect(pod.json).toContain('"terminationGracePeriodSeconds":9223372036854775807');
    expect(pod.json).toContain('"activeDeadlineSeconds":9223372036854776000');
    const [small, big] = decodeInProcess(Buffer.from(LIST)).chunks[0]!.objects;
    expect(small!.json).toBeUndefined();
    expect(big!.json).toContain('"deletionGracePeriodSeconds":-9223372036854775808');
    expect(big!.json).toContain('"apiVersion":"v1"');
  });
});
