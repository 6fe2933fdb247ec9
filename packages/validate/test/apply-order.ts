import type { Manifest } from '@strata/core';
import type { DifferentialServer } from '../../policy/test/differential.ts';

/** What a real cluster said of each document of a corpus created in apply order: [file, name, the server's message] of each refused. */
export type Refusals = string[][];

/**
 * Creates every object of `corpus` (`<env>/<app>` -> its built output, `dist/<env>/<app>.yaml`) for
 * real, as a sync does: env by env, each a cluster of its own (what one env created is deleted
 * before the next), its apps by name and each file's objects in order; namespaced objects in
 * `namespace`. What Argo CD never applies (a Skip hook) is left out. `settle` waits after each
 * object created, for admission plugins that read what exists through an informer.
 */
export async function createInApplyOrder(
  server: DifferentialServer,
  corpus: Record<string, readonly Manifest[]>,
  namespace: string,
  settle = 0,
): Promise<Refusals> {
  const refused: Refusals = [];
  await server.namespace(namespace);
  const envs = [...new Set(Object.keys(corpus).map((k) => k.split('/')[0]!))];
  for (const env of envs) {
    const apps = Object.keys(corpus)
      .filter((k) => k.startsWith(`${env}/`))
      .sort();
    const created: Manifest[] = [];
    for (const app of apps) {
      for (const m of corpus[app]!) {
        if (m.metadata.annotations?.['argocd.argoproj.io/hook'] === 'Skip') continue;
        const r = await server.create(m, namespace);
        if (r.status < 300) {
          created.push(m);
          if (settle > 0) await new Promise((resolve) => setTimeout(resolve, settle));
        } else refused.push([`dist/${app}.yaml`, m.metadata.name, r.message]);
      }
    }
    for (const m of created.reverse()) await server.remove(m, namespace);
  }
  return refused;
}
