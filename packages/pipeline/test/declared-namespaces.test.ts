import { describe, expect, it } from 'vitest';
import { setTemplateNamespace } from '@strata/testing/workspace-copy';
import { platformNamespacesWorkspace } from '@strata/testing/workspace';
import { platformRefusals } from './platform-refusals.ts';

// kubernetes.namespaces of strata.config.json lists the namespaces the platform makes, where an
// app's object may live; an app whose own namespace is one of them would own it, its default-deny
// NetworkPolicy covering every pod the platform runs there. new-app refuses such a name; an app's
// config reaches the same state later, and the pipeline refuses it there.

/** The refusals of the pipeline's run, as `file: message`. */
const refusals = async (root: string) => (await platformRefusals(root)).map((p) => `${p.severity}: ${p.file}: ${p.message}`);

describe('an app whose namespace kubernetes.namespaces says the platform makes, in the pipeline', () => {
  const ws = platformNamespacesWorkspace('relay', ['observability', 'traefik']);

  it('passes in a namespace of its own', async () => {
    expect(await refusals(ws.root)).toStrictEqual([]);
  });

  it('refuses it once per env, at its first object there, saying what to do', async () => {
    setTemplateNamespace(ws.root, 'relay', 'observability');
    expect(await refusals(ws.root)).toStrictEqual(
      ['dev', 'prod', 'staging'].map(
        (env) =>
          `error: dist/${env}/relay.yaml: would be in the namespace "observability", the app's own namespace (its Argo CD Application's destination, which gitops/ creates for it), which kubernetes.namespaces of strata.config.json says the platform makes: an app does not own a platform namespace (its default-deny NetworkPolicy and the AppProject would reach every pod the platform runs there); give the app a namespace of its own, or take "observability" out of kubernetes.namespaces if the app makes it`,
      ),
    );
  });
});
