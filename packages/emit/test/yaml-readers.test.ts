import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { findRoot } from '@strata/project';
import { buildOverlays, type BuildEngine } from '@strata/kustomize';
import { dumpYaml } from '../src/yaml.ts';

/**
 * Strings that some reader of the written files takes for another type when they are left plain:
 * YAML 1.1 (kubectl, Argo CD, kubeconform), or go-yaml v3, which kustomize reads every file with
 * (its integers are Go's `strconv.ParseInt(s, 0, 64)` with every `_` taken out, its floats Go's, a
 * `<<` key merges), and strings no reader does, which must stay as they are.
 */
const NASTY = [
  // go-yaml's integers that YAML 1.1 leaves strings.
  ...['0o17', '0O17', '0B1', '0X1F', '-0o1', '0o1_7', '0o10', '+0o17', '0o_7', '0_x1F', '+_1', '-_0x1F', '0X1f', '-0B1_0'],
  // ...and its floats.
  ...['1e_3', '1e3_', '+_1.5', '.5e1_0', '1_0.5', '-_.5'],
  // Both read these as numbers.
  ...['0', '-0', '+12', '017', '08', '0x1f', '0b1', '1_000', '1__0', '9223372036854775808', '18446744073709551616'],
  ...['0xFFFFFFFFFFFFFFFFF', '0o1777777777777777777777', '1e3', '1E+3', '1.', '.5', '.5_0', '-.5', '1e400', '1:20', '190:20:30'],
  ...['.inf', '-.Inf', '+.INF', '.nan', '.NaN', '._5'],
  // Booleans and nulls of either.
  ...['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO'],
  ...['on', 'On', 'ON', 'off', 'Off', 'OFF', '~', 'null', 'Null', 'NULL', ''],
  // Timestamps, the merge key.
  ...['2001-12-14', '2001-1-2', '2001-12-14t21:59:43.10-05:00', '2002-12-14 21:59:43.10 -5', '2006-1-2T15:4:5Z', '2006-1-2 15:4:5', '<<'],
  // Strings to every reader.
  ...['0x1p3', 'e0', '0x_', '_1', '0o', '0o8', '1_e', 'nULL', 'tRue', '.iNf', '=', 'plain', '0755x', 'v1.0'],
];

/** Decodes YAML streams as kubectl does (packages/validate/decoder, built by the setup script). */
function kubectlRead(
  decoder: string,
  text: string,
  reference: boolean,
): { objects?: { object: Manifest }[]; chunks?: { objects: { object: Manifest }[]; yaml12?: unknown }[] } {
  const bytes = Buffer.from(text, 'utf8');
  const r = spawnSync(decoder, reference ? ['-reference'] : [], {
    input: Buffer.concat([Buffer.from(`${bytes.length}\n`), bytes]),
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReturnType<typeof kubectlRead>;
}

describe('every string the writer writes is read back as that string (real kustomize and kubectl readers)', () => {
  const root = findRoot();
  const decoder = join(root, '.tools/bin/strata-decode');
  const work = mkdtempSync(join(tmpdir(), 'strata-yaml-readers-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const values: Manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'values', namespace: 'shop' },
    data: Object.fromEntries(NASTY.map((v, i) => [`k${String(i).padStart(3, '0')}`, v])),
  };
  // Not `<<`: kustomize drops a key `<<` however it is written (kyaml's removeMergeTags clears every
  // `<<` key of a mapping, quoted or not), so no writer can keep one through a build.
  const keys: Manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'keys', namespace: 'shop' },
    data: Object.fromEntries(NASTY.filter((k) => k !== '<<').map((k, i) => [k, `v${i}`])),
  };
  const items: Manifest = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'items', namespace: 'shop' },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36', args: NASTY }] },
  };
  const objects = [values, keys, items];

  it('in the files it writes, as kubectl and as go-yaml v3 read them', () => {
    expect(existsSync(decoder), 'run node scripts/setup.mjs: it builds .tools/bin/strata-decode').toBe(true);
    for (const object of objects) {
      const read = kubectlRead(decoder, dumpYaml(object), false);
      // yaml12 names the first field go-yaml v3 reads otherwise than kubectl.
      expect(read.chunks!.map((c) => [c.objects.map((o) => o.object), c.yaml12])).toStrictEqual([[[object], undefined]]);
    }
  });

  for (const engine of ['kustomize', 'builder'] as const satisfies readonly BuildEngine[]) {
    it(`in what ${engine === 'kustomize' ? 'kustomize build' : 'the pinned kustomize builder'} makes of them, as kubectl reads that`, async () => {
      const dir = join(work, engine);
      mkdirSync(dir);
      const files = objects.map((o) => `${o.metadata.name}.yaml`);
      objects.forEach((o, i) => writeFileSync(join(dir, files[i]!), dumpYaml(o)));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        dumpYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: files }),
      );
      const [built] = await buildOverlays(root, [dir], { engine, concurrency: 1 });
      expect(built!.error).toBeUndefined();
      const read = kubectlRead(decoder, built!.yaml, true);
      const byName = new Map(read.objects!.map((o) => [o.object.metadata.name, o.object]));
      expect(byName.get('values')?.data).toStrictEqual(values.data);
      expect(byName.get('keys')?.data).toStrictEqual(keys.data);
      expect(byName.get('items')?.spec).toStrictEqual(items.spec);
      expect(readFileSync(join(dir, 'values.yaml'), 'utf8')).toContain('k000: "0o17"\n');
    });
  }
});
