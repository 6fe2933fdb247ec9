import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCases } from './readings.ts';

// The differential tests remove the scratch folder readCases hands back; one whose readings failed
// was never handed back, and stayed under the system's temporary folder.
describe('readCases, when a reading fails', () => {
  it('leaves no scratch folder behind', async () => {
    const top = mkdtempSync(join(tmpdir(), 'strata-readings-test-'));
    const tmp = join(top, 'tmp');
    mkdirSync(tmp);
    // A checkout whose decoder fails every run.
    const repo = join(top, 'repo');
    mkdirSync(join(repo, '.tools', 'bin'), { recursive: true });
    const decoder = join(repo, '.tools', 'bin', 'strata-decode');
    writeFileSync(decoder, '#!/bin/sh\necho broken >&2\nexit 3\n');
    chmodSync(decoder, 0o755);
    const saved = { TMPDIR: process.env.TMPDIR, STRATA_DECODE: process.env.STRATA_DECODE };
    process.env.TMPDIR = tmp;
    delete process.env.STRATA_DECODE;
    try {
      await expect(readCases(repo, new Map([['one', 'apiVersion: v1\nkind: ConfigMap\n']]), 'yaml', {})).rejects.toThrow(
        /strata-decode failed \(exit 3\): broken/,
      );
      expect(readdirSync(tmp)).toStrictEqual([]);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(top, { recursive: true, force: true });
    }
  });
});
