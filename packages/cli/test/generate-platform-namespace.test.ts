import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { changedFiles, workspaceFiles, writeTemplateApp } from '@strata/testing/workspace-copy';
import { editFile, repo, strata, tempWorkspace } from '@strata/testing/workspace';

// kubernetes.namespaces of strata.config.json lists the namespaces the platform makes. new-app
// refuses such a name and validate such a build; an app's config can still move the app there, and
// generate then wrote its overlays and its ApplicationSet entry, Argo CD's destination the
// platform's namespace, before anything judged it.

describe('strata generate of an app whose namespace kubernetes.namespaces says the platform makes', () => {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  writeTemplateApp(repo, ws.root, 'relay');
  const config = join(ws.root, 'strata.config.json');
  const settings = JSON.parse(readFileSync(config, 'utf8')) as { kubernetes: Record<string, unknown> };
  settings.kubernetes.namespaces = ['observability', 'traefik'];
  writeFileSync(config, `${JSON.stringify(settings, null, 2)}\n`);

  it('refuses it in one line naming the app, the namespace and the fix, exit 2, writing nothing', () => {
    expect(strata(ws.root, ['generate']).status).toBe(0);
    editFile(join(ws.root, 'apps/relay/src/config.ts'), (t) => t.replace(/ {2}namespace: '[^']*',/, "  namespace: 'observability',"));
    const before = workspaceFiles(ws.root);
    for (const args of [['generate'], ['generate', '--app', 'relay'], ['generate', '--env', 'dev']]) {
      const r = strata(ws.root, args);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toStrictEqual([
        `strata: app "relay" would be in the namespace "observability"${args.includes('--env') ? ' in dev' : ''}, its own (its Argo CD Application's destination, which gitops/ creates for it), which kubernetes.namespaces of strata.config.json says the platform makes: an app does not own a platform namespace (its default-deny NetworkPolicy and the AppProject would reach every pod the platform runs there); give the app a namespace of its own in apps/relay/src, or take "observability" out of kubernetes.namespaces if the app makes it`,
      ]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(changedFiles(before, workspaceFiles(ws.root)), args.join(' ')).toStrictEqual([]);
    }
  });
});
