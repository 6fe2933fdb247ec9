import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTemplateApp } from '@strata/testing/workspace-copy';
import { pipeline } from '../src/index.ts';
import { repo, tempWorkspace } from '@strata/testing/workspace';

// new-app and import refuse an app whose objects go into Kubernetes' own namespaces, the GitOps
// controllers' or a platform component's; an app's config (or strata.config.json moving Argo CD)
// reaches the same state later, and the pipeline refuses it there, at each object's namespace.

/** Sets the namespace the template's app `name` puts its objects in. */
function moveApp(root: string, name: string, namespace: string): void {
  const path = join(root, 'apps', name, 'src/config.ts');
  const text = readFileSync(path, 'utf8');
  expect(text).toMatch(/ {2}namespace: '[^']*',/);
  writeFileSync(path, text.replace(/ {2}namespace: '[^']*',/, `  namespace: '${namespace}',`));
}

/** The refusals of the pipeline's run, as `file:line: Kind name: message`, the line checked against the built file. */
async function refusals(root: string): Promise<string[]> {
  const r = await pipeline(root);
  expect(r.built.failed).toBe(0);
  return r.problems
    .filter((p) => p.rule === 'no-platform-namespace')
    .map((p) => {
      const line = readFileSync(join(root, p.file), 'utf8').split('\n')[p.line! - 1];
      expect(line?.trim()).toBe(p.kind === 'Namespace' ? `name: ${p.name}` : `namespace: ${p.namespace}`);
      return `${p.severity}: ${p.file}: ${p.kind} ${p.name}: ${p.message}`;
    });
}

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
    moveApp(ws.root, 'relay', 'kube-system');
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
      moveApp(ws.root, 'relay', 'kube-system');
      expect(await refusals(ws.root)).toStrictEqual([]);
      moveApp(ws.root, 'relay', 'default');
      expect(await refusals(ws.root)).toStrictEqual([]);
      // A platform component's namespace stays refused.
      moveApp(ws.root, 'relay', 'cert-manager');
      expect((await refusals(ws.root)).filter((f) => f.startsWith('error: dist/dev/') && f.includes('NetworkPolicy default-deny'))).toStrictEqual([
        `error: dist/dev/relay.yaml: NetworkPolicy default-deny: would be in the namespace "cert-manager", where cert-manager runs; ${PLATFORM}`,
      ]);
    } finally {
      writeFileSync(path, text);
    }
  });

  it('refuses the namespaces of Argo CD and of cert-manager, saying who runs there', async () => {
    moveApp(ws.root, 'relay', 'argocd');
    expect((await refusals(ws.root)).filter((f) => f.startsWith('error: dist/dev/') && f.includes('NetworkPolicy default-deny'))).toStrictEqual([
      `error: dist/dev/relay.yaml: NetworkPolicy default-deny: would be in the namespace "argocd", where Argo CD runs (the default of gitops.argocdNamespace); ${PLATFORM}`,
    ]);
    moveApp(ws.root, 'relay', 'cert-manager');
    expect((await refusals(ws.root)).filter((f) => f.startsWith('error: dist/dev/') && f.includes('NetworkPolicy default-deny'))).toStrictEqual([
      `error: dist/dev/relay.yaml: NetworkPolicy default-deny: would be in the namespace "cert-manager", where cert-manager runs; ${PLATFORM}`,
    ]);
  });

  it("refuses the app's namespace once strata.config.json puts Argo CD there", async () => {
    moveApp(ws.root, 'relay', 'relay');
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
