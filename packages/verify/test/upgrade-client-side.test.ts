import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { helperBinary, ToolError } from '@strata/project';
import { verify, verifyDocuments } from '../src/index.ts';
import { BUILD_TIMEOUT, builtDocs as docs, makeRepo, sharedServer, withConsumer } from './helpers.ts';

// An update Argo CD applies client-side (its default) is kubectl's three-way strategic merge patch,
// not a server-side apply: what the last applied config named and the new one drops is removed by
// the patch's own rules (a list's merge key, the keys of retainKeys), and a server-side apply keeps
// what the server defaulted and nobody applied. Each answer was checked with kubectl apply against
// the same kube-apiserver.

const server = sharedServer();

const SERVER_SIDE = { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true' };

const deployment = (spec: object, annotations?: Record<string, string>, env?: readonly object[]) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'csa', ...(annotations ? { annotations } : {}) },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...(env ? { env } : {}) }] },
    },
    ...spec,
  },
});

/** `next` checked as an upgrade of `now`, in the workspace `root` (its gitops.consumer). */
const upgrade = (now: readonly object[], next: readonly object[], root?: string) =>
  verifyDocuments(docs(next, 'next.yaml'), { server, ...(root ? { root } : {}), against: { name: 'now', docs: docs(now, 'now.yaml') } });

const errors = (r: Awaited<ReturnType<typeof upgrade>>) => r.problems.filter((p) => p.severity === 'error');

describe('an update Argo CD applies client-side', () => {
  it('passes a Deployment turned from the defaulted RollingUpdate to Recreate, as kubectl apply and Argo CD do', async () => {
    const r = await upgrade([deployment({})], [deployment({ strategy: { type: 'Recreate' } })]);
    expect(errors(r)).toStrictEqual([]);
    expect(r.upgrades).toBe(1);
  });

  it("passes it in an app's built output checked against a folder of what was built before, as its Application syncs it", async () => {
    const repo = makeRepo({ 'dev/web': [deployment({ strategy: { type: 'Recreate' } })] });
    try {
      mkdirSync(join(repo, 'deployed', 'dev'), { recursive: true });
      writeFileSync(join(repo, 'deployed', 'dev', 'web.yaml'), stringify(deployment({})));
      const r = await verify(repo, { against: 'deployed', server });
      expect(r.problems.filter((p) => p.severity === 'error')).toStrictEqual([]);
      expect(r).toMatchObject({ objects: 1, upgrades: 1 });
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('refuses a Service that drops one of two ports of one number, as kubectl patch removes both (its merge key is port)', async () => {
    const svc = (ports: readonly object[]) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'dns', namespace: 'csa' },
      spec: { selector: { app: 'dns' }, ports },
    });
    const udp = { name: 'dns', port: 53, protocol: 'UDP' };
    const r = await upgrade([svc([udp, { name: 'dns-tcp', port: 53, protocol: 'TCP' }])], [svc([udp])]);
    expect(errors(r)).toStrictEqual([
      expect.objectContaining({
        file: 'next.yaml',
        kind: 'Service',
        name: 'dns',
        rule: 'update-rejected',
        path: 'spec.ports',
        message: 'Required value (as an update of what now deployed)',
      }),
    ]);
  });
});

describe('an update kubectl fails to compute', () => {
  // kubectl's strategic merge patch matches list items by their merge key; an imagePullSecrets entry
  // without its name is one the server takes (with a warning) and kubectl apply refuses to patch:
  // `error: map: map[] does not contain declared merge key: name`, before any request.
  const unnamed = (env?: readonly object[]) => {
    const d = deployment({}, undefined, env);
    return { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { ...d.spec.template.spec, imagePullSecrets: [{}] } } } };
  };

  it('says that kubectl apply, not the server, refuses it, under a rule of its own', async () => {
    const r = await upgrade([unnamed()], [unnamed([{ name: 'MODE', value: 'x' }])]);
    expect(errors(r)).toStrictEqual([
      expect.objectContaining({
        file: 'next.yaml',
        kind: 'Deployment',
        name: 'web',
        rule: 'client-side-apply-failed',
        message:
          'kubectl apply would fail computing its patch, before anything reaches the server: map: map[] does not contain declared merge key: name (as an update of what now deployed)',
      }),
    ]);
  });

  it('says so where its Force=true would recreate it after a refusal of the server, which never comes', async () => {
    const force = { 'argocd.argoproj.io/sync-options': 'Force=true' };
    const withForce = (env?: readonly object[]) => ({ ...unnamed(env), metadata: { ...unnamed(env).metadata, annotations: force } });
    const r = await upgrade([withForce()], [withForce([{ name: 'MODE', value: 'x' }])]);
    expect(errors(r).map((p) => [p.rule, p.message])).toStrictEqual([
      [
        'client-side-apply-failed',
        expect.stringMatching(
          /^kubectl apply would fail computing its patch, before anything reaches the server: .* \(as an update of what now deployed\); its argocd\.argoproj\.io\/sync-options Force=true .* and this refusal is kubectl's own, computing its patch, with no answer of the server: the sync fails at it$/,
        ),
      ],
    ]);
  });
});

describe('an update applied server-side', () => {
  const refused = expect.objectContaining({
    file: 'next.yaml',
    kind: 'Deployment',
    name: 'web',
    rule: 'update-rejected',
    path: 'spec.strategy.rollingUpdate',
    message: expect.stringMatching(/^Forbidden: may not be specified when strategy `type` is 'Recreate' \(as an update of what now deployed\)/),
  });

  it('refuses the Recreate switch where the object asks Argo CD for server-side apply, in the server words', async () => {
    const r = await upgrade([deployment({}, SERVER_SIDE)], [deployment({ strategy: { type: 'Recreate' } }, SERVER_SIDE)]);
    expect(errors(r)).toStrictEqual([refused]);
  });

  it(
    'refuses it where Flux applies the tree',
    async () => {
      await withConsumer('flux', async (root) => {
        const r = await upgrade([deployment({})], [deployment({ strategy: { type: 'Recreate' } })], root);
        expect(errors(r)).toStrictEqual([refused]);
      });
    },
    BUILD_TIMEOUT,
  );
});

// kubectl's patches come from one helper process: one that ends (killed, out of memory, a crash)
// failed to compute them, and said nothing of the input. Each update was reported as one that
// kubectl apply would fail to compute ("write EPIPE"), an error of the input with exit 1.
describe('a helper that ends before it answers', () => {
  it('is a tool failure naming the helper and how it ended, not a finding of the input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-kubectl-apply-'));
    // Answers the first request (the create of what the ref deployed), then ends with exit 3.
    const helper = join(dir, 'helper');
    writeFileSync(helper, `#!/bin/sh\nread -r line\nprintf '%s\\n' "$line" | '${helperBinary()}' "$@"\necho 'gone' >&2\nexit 3\n`);
    chmodSync(helper, 0o755);
    const saved = process.env.STRATA_SERVER_VALIDATION;
    process.env.STRATA_SERVER_VALIDATION = helper;
    try {
      const run = upgrade([deployment({})], [deployment({ strategy: { type: 'Recreate' } })]);
      await expect(run).rejects.toThrow(ToolError);
      await expect(run).rejects.toThrow(/^strata-server-validation -kubectl-apply ended \(exit 3\): gone$/);
    } finally {
      if (saved === undefined) delete process.env.STRATA_SERVER_VALIDATION;
      else process.env.STRATA_SERVER_VALIDATION = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
