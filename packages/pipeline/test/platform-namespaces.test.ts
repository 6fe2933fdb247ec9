import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setTemplateNamespace, writeTemplateApp } from '@strata/testing/workspace-copy';
import { repo, tempWorkspace } from '@strata/testing/workspace';
import { platformRefusals } from './platform-refusals.ts';

// new-app and import refuse an app whose objects go into Kubernetes' own namespaces, the GitOps
// controllers' or a platform component's; an app's config (or strata.config.json moving Argo CD)
// reaches the same state later, and the pipeline refuses it there, at each object's namespace.

/** The refusals of the pipeline's run, as `file: Kind name: message`. */
const refusals = async (root: string) => (await platformRefusals(root)).map((p) => `${p.severity}: ${p.file}: ${p.kind} ${p.name}: ${p.message}`);

const PLATFORM =
  "an app does not deploy into a platform component's namespace (its policies and the AppProject would reach the component): give its objects a namespace of their own";

describe('an app moved into a namespace that is not free for it, in the pipeline', () => {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  writeTemplateApp(repo, ws.root, 'relay');

  it('passes in its own namespace', async () => {
    expect(await refusals(ws.root)).toStrictEqual([]);
  });

  it("refuses every object of every env in kube-system, its default deny among them, in new-app's words, saying how an app that belongs there says so", async () => {
    setTemplateNamespace(ws.root, 'relay', 'kube-system');
    const found = await refusals(ws.root);
    const deny = found.filter((f) => f.includes('NetworkPolicy default-deny'));
    expect(deny).toStrictEqual(
      ['dev', 'prod', 'staging'].map(
        (env) =>
          `error: dist/${env}/relay.yaml: NetworkPolicy default-deny: would be in the namespace "kube-system", which Kubernetes keeps for itself (default, and every kube- name): give its objects a namespace of their own, or, if the app belongs there, set policy: { allowSystemNamespace: true } in apps/relay/src/app.ts (as strata import --allow-system-namespace does)`,
      ),
    );
    expect(found.length).toBeGreaterThan(deny.length);
    expect(found.filter((f) => !f.startsWith('error: '))).toStrictEqual([]);
  });

  it('lets an app whose policy says allowSystemNamespace stay in kube-system and default, and no further', async () => {
    const path = join(ws.root, 'apps/relay/src/app.ts');
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('  render,\n});');
    writeFileSync(path, text.replace('  render,\n});', '  policy: { allowSystemNamespace: true },\n  render,\n});'));
    try {
      setTemplateNamespace(ws.root, 'relay', 'kube-system');
      expect(await refusals(ws.root)).toStrictEqual([]);
      setTemplateNamespace(ws.root, 'relay', 'default');
      expect(await refusals(ws.root)).toStrictEqual([]);
      // A platform component's namespace stays refused.
      setTemplateNamespace(ws.root, 'relay', 'cert-manager');
      expect((await refusals(ws.root)).filter((f) => f.startsWith('error: dist/dev/') && f.includes('NetworkPolicy default-deny'))).toStrictEqual([
        `error: dist/dev/relay.yaml: NetworkPolicy default-deny: would be in the namespace "cert-manager", where cert-manager runs; ${PLATFORM}`,
      ]);
    } finally {
      writeFileSync(path, text);
    }
  });

  it('refuses the namespaces of Argo CD and of cert-manager, saying who runs there', async () => {
    setTemplateNamespace(ws.root, 'relay', 'argocd');
    expect((await refusals(ws.root)).filter((f) => f.startsWith('error: dist/dev/') && f.includes('NetworkPolicy default-deny'))).toStrictEqual([
      `error: dist/dev/relay.yaml: NetworkPolicy default-deny: would be in the namespace "argocd", where Argo CD runs (the default of gitops.argocdNamespace); ${PLATFORM}`,
    ]);
    setTemplateNamespace(ws.root, 'relay', 'cert-manager');
    expect((await refusals(ws.root)).filter((f) => f.startsWith('error: dist/dev/') && f.includes('NetworkPolicy default-deny'))).toStrictEqual([
      `error: dist/dev/relay.yaml: NetworkPolicy default-deny: would be in the namespace "cert-manager", where cert-manager runs; ${PLATFORM}`,
    ]);
  });

  it("refuses the app's namespace once strata.config.json puts Argo CD there", async () => {
    setTemplateNamespace(ws.root, 'relay', 'relay');
    expect(await refusals(ws.root)).toStrictEqual([]);
    const config = join(ws.root, 'strata.config.json');
    const settings = JSON.parse(readFileSync(config, 'utf8')) as { gitops: Record<string, unknown> };
    settings.gitops.argocdNamespace = 'relay';
    writeFileSync(config, `${JSON.stringify(settings, null, 2)}\n`);
    expect((await refusals(ws.root)).filter((f) => f.startsWith('error: dist/dev/') && f.includes('NetworkPolicy default-deny'))).toStrictEqual([
      `error: dist/dev/relay.yaml: NetworkPolicy default-deny: would be in the namespace "relay", where Argo CD runs (gitops.argocdNamespace); ${PLATFORM}`,
    ]);
  });
});
