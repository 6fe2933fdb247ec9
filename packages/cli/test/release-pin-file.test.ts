import { lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { strata, suiteWorkspace } from '@strata/testing/workspace';

// set image and promote read and write an app's images.json as the app reads it: saved with a byte
// order mark, or reached through a symbolic link to a pin file elsewhere in the repository.
describe("set image and promote on the app's pin file as the app reads it", () => {
  const ws = suiteWorkspace(['tokenplace-relay'], { generate: true, timeout: 120_000 });
  const file = () => join(ws.root, 'apps/tokenplace-relay/images.json');
  const inSync = () => {
    const r = strata(ws.root, ['check', '--app', 'tokenplace-relay'], undefined, { CI: '' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  };

  it('reads an images.json saved with a UTF-8 byte order mark, and writes it back with the mark', () => {
    const text = readFileSync(file(), 'utf8');
    writeFileSync(file(), `\uFEFF${text}`);
    inSync();
    const set = strata(ws.root, ['set', 'image', '--app', 'tokenplace-relay', '--env', 'dev', ':1.6.0']);
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    const promoted = strata(ws.root, ['promote', '--from', 'dev', '--to', 'staging', '--app', 'tokenplace-relay']);
    expect(promoted.stderr).toBe('');
    expect(promoted.status).toBe(0);
    const after = readFileSync(file(), 'utf8');
    expect(after.startsWith('\uFEFF{')).toBe(true);
    expect(JSON.parse(after.slice(1)).staging.relay).toStrictEqual({ repository: 'ghcr.io/tokenplace/tokenplace-relay', tag: '1.6.0' });
    expect(readFileSync(join(ws.root, 'overlays/staging/tokenplace-relay/kustomization.yaml'), 'utf8')).toContain('newTag: 1.6.0');
    inSync();
    writeFileSync(file(), after.slice(1));
  });

  it('writes through an images.json that links to a pin file in the repository, keeping the link', () => {
    mkdirSync(join(ws.root, 'pins'));
    renameSync(file(), join(ws.root, 'pins/relay.json'));
    symlinkSync('../../pins/relay.json', file());
    inSync();
    const r = strata(ws.root, ['set', 'image', '--app', 'tokenplace-relay', '--env', 'dev', ':2.0.0']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lstatSync(file()).isSymbolicLink()).toBe(true);
    expect(readlinkSync(file())).toBe('../../pins/relay.json');
    expect(JSON.parse(readFileSync(join(ws.root, 'pins/relay.json'), 'utf8')).dev.relay.tag).toBe('2.0.0');
    expect(readFileSync(join(ws.root, 'overlays/dev/tokenplace-relay/kustomization.yaml'), 'utf8')).toContain('newTag: 2.0.0');
    inSync();
  });

  it('refuses an images.json that links outside the repository in one line, and leaves the link', () => {
    const outside = join(tmpdir(), `strata-pins-${process.pid}.json`);
    writeFileSync(outside, readFileSync(join(ws.root, 'pins/relay.json')));
    try {
      rmSync(file());
      symlinkSync(outside, file());
      const r = strata(ws.root, ['set', 'image', '--app', 'tokenplace-relay', '--env', 'dev', ':2.1.0']);
      expect(r.status).not.toBe(0);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('outside the repository');
      expect(readlinkSync(file())).toBe(outside);
      expect(readFileSync(outside, 'utf8')).toBe(readFileSync(join(ws.root, 'pins/relay.json'), 'utf8'));
    } finally {
      rmSync(outside, { force: true });
    }
  });
});
