import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffTree, HEADER } from '../src/index.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'strata-preview-'));
  mkdirSync(join(root, 'base/web'), { recursive: true });
  writeFileSync(join(root, 'base/web/service.web.yaml'), `${HEADER}\nkind: Service\nport: 80\n`);
  writeFileSync(join(root, 'base/web/configmap.old.yaml'), `${HEADER}\nkind: ConfigMap\n`);
  writeFileSync(join(root, 'base/web/notes.yaml'), 'written by hand\n');
  writeFileSync(join(root, 'base/web/kustomization.yaml'), `${HEADER}\nresources: []\n`);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('diffTree', () => {
  it('gives a unified diff per added, changed and removed file, sorted, and touches nothing', () => {
    const files = new Map([
      ['base/web/service.web.yaml', `${HEADER}\nkind: Service\nport: 8080\n`],
      ['base/web/deployment.web.yaml', `${HEADER}\nkind: Deployment\n`],
      ['base/web/kustomization.yaml', `${HEADER}\nresources: []\n`],
    ]);
    const listing = readdirSync(join(root, 'base/web')).sort();
    const r = diffTree(root, files, ['base/web']);
    expect(readdirSync(join(root, 'base/web')).sort()).toStrictEqual(listing);
    expect(existsSync(join(root, 'base/web/deployment.web.yaml'))).toBe(false);
    expect(r.diffs).toStrictEqual([
      {
        file: 'base/web/configmap.old.yaml',
        status: 'removed',
        diff: `--- a/base/web/configmap.old.yaml\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-${HEADER}\n-kind: ConfigMap\n`,
      },
      {
        file: 'base/web/deployment.web.yaml',
        status: 'added',
        diff: `--- /dev/null\n+++ b/base/web/deployment.web.yaml\n@@ -0,0 +1,2 @@\n+${HEADER}\n+kind: Deployment\n`,
      },
      {
        file: 'base/web/service.web.yaml',
        status: 'changed',
        diff: `--- a/base/web/service.web.yaml\n+++ b/base/web/service.web.yaml\n@@ -1,3 +1,3 @@\n ${HEADER}\n kind: Service\n-port: 80\n+port: 8080\n`,
      },
    ]);
    expect(r.unchanged).toBe(1);
    expect(r.foreign).toStrictEqual(['base/web/notes.yaml']);
    expect(readFileSync(join(root, 'base/web/service.web.yaml'), 'utf8')).toContain('port: 80\n');
  });

  it('shows a generated file that is a symbolic link, even to its content, as the file added, and leaves the link', () => {
    const content = `${HEADER}\nkind: Service\nport: 80\n`;
    writeFileSync(join(root, 'service.yaml'), content);
    rmSync(join(root, 'base/web/service.web.yaml'));
    symlinkSync(join(root, 'service.yaml'), join(root, 'base/web/service.web.yaml'));
    const r = diffTree(root, new Map([['base/web/service.web.yaml', content]]), []);
    expect(r.written).toStrictEqual(['base/web/service.web.yaml']);
    expect(r.diffs).toStrictEqual([
      {
        file: 'base/web/service.web.yaml',
        status: 'added',
        diff: `--- /dev/null\n+++ b/base/web/service.web.yaml\n@@ -0,0 +1,3 @@\n+${HEADER}\n+kind: Service\n+port: 80\n`,
      },
    ]);
    expect(lstatSync(join(root, 'base/web/service.web.yaml')).isSymbolicLink()).toBe(true);
  });

  it('has nothing to show for a tree that is up to date', () => {
    const files = new Map([
      ['base/web/service.web.yaml', `${HEADER}\nkind: Service\nport: 80\n`],
      ['base/web/configmap.old.yaml', `${HEADER}\nkind: ConfigMap\n`],
      ['base/web/kustomization.yaml', `${HEADER}\nresources: []\n`],
    ]);
    const r = diffTree(root, files, ['base/web']);
    expect(r.diffs).toStrictEqual([]);
    expect(r.unchanged).toBe(3);
  });
});
