import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Manifest } from '@strata/core';
import type { StartOptions } from '@strata/project/apiserver';
import { ensureHelper } from '@strata/server-validation';
import { startDifferentialServer, type DifferentialServer } from '../../policy/test/differential.ts';
import { BUILD_TIMEOUT, makeRepo } from '../../verify/test/helpers.ts';

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

/** What the tests of a differential file run against: see suiteDifferential. */
export interface DifferentialSuite<T> {
  /** The corpus as built output (`dist/<env>/<app>.yaml` and its overlay), with the project's tools linked. */
  readonly repo: string;
  readonly server: DifferentialServer;
  /** What the real cluster said of the corpus. */
  readonly real: T;
}

/**
 * For the tests of the calling file: the corpus (`<env>/<app>` -> its built output) written as a
 * repository (`files` beside it, a strata.config.json say), the server checks' helper built, and a
 * differential server started with `options`; `verdicts` asks that server about the corpus, once,
 * before the tests. The server is stopped and the repository removed after them.
 */
export function suiteDifferential<T>(
  corpus: Record<string, readonly Manifest[]>,
  verdicts: (server: DifferentialServer) => Promise<T>,
  options: { readonly server?: StartOptions; readonly files?: Readonly<Record<string, string>> } = {},
): DifferentialSuite<T> {
  const live: { repo?: string; server?: DifferentialServer; real?: { value: T } } = {};
  beforeAll(async () => {
    live.repo = makeRepo(corpus);
    for (const [file, text] of Object.entries(options.files ?? {})) writeFileSync(join(live.repo, file), text);
    symlinkSync(join(import.meta.dirname, '../../../.tools'), join(live.repo, '.tools'));
    await ensureHelper();
    live.server = await startDifferentialServer([], options.server);
    live.real = { value: await verdicts(live.server) };
  }, BUILD_TIMEOUT);
  afterAll(async () => {
    await live.server?.stop();
    if (live.repo) rmSync(live.repo, { recursive: true, force: true });
  });
  const ready = <V>(value: V | undefined): V => {
    if (value === undefined)
      throw new Error('suiteDifferential: the repository, the server and their verdicts are made before the first test; read them there');
    return value;
  };
  return {
    get repo() {
      return ready(live.repo);
    },
    get server() {
      return ready(live.server);
    },
    get real() {
      return ready(live.real).value;
    },
  };
}
