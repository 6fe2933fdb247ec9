import { describe, expect, it } from 'vitest';
import { changedFiles, setTemplateNamespace, workspaceFiles } from '@strata/testing/workspace-copy';
import { platformNamespacesWorkspace, strata } from '@strata/testing/workspace';

// kubernetes.namespaces of strata.config.json lists the namespaces the platform makes. new-app
// refuses such a name and validate such a build; an app's config can still move the app there, and
// generate then wrote its overlays and its ApplicationSet entry, Argo CD's destination the
// platform's namespace, before anything judged it.

describe('strata generate of an app whose namespace kubernetes.namespaces says the platform makes', () => {
  const ws = platformNamespacesWorkspace('relay', ['observability', 'traefik']);

  it('refuses it in one line naming the app, the namespace and the fix, exit 2, writing nothing', () => {
    expect(strata(ws.root, ['generate']).status).toBe(0);
    setTemplateNamespace(ws.root, 'relay', 'observability');
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
