import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { strata, suiteWorkspace, treeOf } from './workspace.ts';

// A release that promote refuses is fixed before it runs again: every refusal is said at once, one
// line each, so that fixing the first does not reveal the next only on the next run.
describe('strata promote into an env that demands digests, from one that pins tags', () => {
  const apps = ['llm-runner-router', 'tensafe', 'tokenplace-relay'];
  const ws = suiteWorkspace(apps);
  const state = () => ({ pins: apps.map((a) => readFileSync(join(ws.root, 'apps', a, 'images.json'), 'utf8')), tree: treeOf(ws.root) });

  it('refuses every pin that would arrive without a digest, one line each, and writes nothing', () => {
    const before = state();
    const r = strata(ws.root, ['promote', '--from', 'dev', '--to', 'prod']);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toStrictEqual([
      'strata: prod requires images pinned by digest (require-image-digest): llm-runner-router/llm-runner-router "ghcr.io/llm-runner/llm-runner-router:sha-7c41d9e" has none; give repo@sha256:<digest> or @sha256:<digest>',
      'strata: prod requires images pinned by digest (require-image-digest): tensafe/tensafe "docker.io/tensafe/tensafe:4.1.0-rc.2" has none; give repo@sha256:<digest> or @sha256:<digest>',
      'strata: prod requires images pinned by digest (require-image-digest): tokenplace-relay/relay "ghcr.io/tokenplace/tokenplace-relay:sha-3f9c2e1" has none; give repo@sha256:<digest> or @sha256:<digest>',
    ]);
    expect(r.status).toBe(1);
    expect(state()).toStrictEqual(before);
  });

  it('says a container the source does not pin in the same run as the pins without a digest', () => {
    const before = state();
    const r = strata(ws.root, ['promote', '--from', 'staging', '--to', 'prod']);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toStrictEqual([
      expect.stringMatching(
        /^strata: apps\/tensafe\/images\.json: staging pins no image for tensafe\/tensafe \(it runs .*\) while prod runs .*; nothing promoted: /,
      ),
      'strata: prod requires images pinned by digest (require-image-digest): llm-runner-router/llm-runner-router "ghcr.io/llm-runner/llm-runner-router:1.2.2" has none; give repo@sha256:<digest> or @sha256:<digest>',
      'strata: prod requires images pinned by digest (require-image-digest): tokenplace-relay/relay "ghcr.io/tokenplace/tokenplace-relay:1.4.0" has none; give repo@sha256:<digest> or @sha256:<digest>',
    ]);
    expect(r.status).toBe(1);
    expect(state()).toStrictEqual(before);
  });
});
