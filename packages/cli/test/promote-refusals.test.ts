import { describe, expect, it } from 'vitest';
import { expectRefusal, suiteWorkspace } from '@strata/testing/workspace';

// A release that promote refuses is fixed before it runs again: every refusal is said at once, one
// line each, so that fixing the first does not reveal the next only on the next run.
describe('strata promote into an env that demands digests, from one that pins tags', () => {
  const apps = ['llm-runner-router', 'tensafe', 'tokenplace-relay'];
  const ws = suiteWorkspace(apps);

  it('refuses every pin that would arrive without a digest, one line each, and writes nothing', () => {
    const r = expectRefusal(ws.root, ['promote', '--from', 'dev', '--to', 'prod'], {
      status: 1,
      stderr: [
        'strata: prod requires images pinned by digest (require-image-digest): llm-runner-router/llm-runner-router "ghcr.io/llm-runner/llm-runner-router:sha-7c41d9e" has none; give repo@sha256:<digest> or @sha256:<digest>',
        'strata: prod requires images pinned by digest (require-image-digest): tensafe/tensafe "docker.io/tensafe/tensafe:4.1.0-rc.2" has none; give repo@sha256:<digest> or @sha256:<digest>',
        'strata: prod requires images pinned by digest (require-image-digest): tokenplace-relay/relay "ghcr.io/tokenplace/tokenplace-relay:sha-3f9c2e1" has none; give repo@sha256:<digest> or @sha256:<digest>',
      ],
      apps,
    });
    expect(r.stdout).toBe('');
  });

  it('says a container the source does not pin in the same run as the pins without a digest', () => {
    const r = expectRefusal(ws.root, ['promote', '--from', 'staging', '--to', 'prod'], {
      status: 1,
      stderr: [
        expect.stringMatching(
          /^strata: apps\/tensafe\/images\.json: staging pins no image for tensafe\/tensafe \(it runs .*\) while prod runs .*; nothing promoted: /,
        ),
        'strata: prod requires images pinned by digest (require-image-digest): llm-runner-router/llm-runner-router "ghcr.io/llm-runner/llm-runner-router:1.2.2" has none; give repo@sha256:<digest> or @sha256:<digest>',
        'strata: prod requires images pinned by digest (require-image-digest): tokenplace-relay/relay "ghcr.io/tokenplace/tokenplace-relay:1.4.0" has none; give repo@sha256:<digest> or @sha256:<digest>',
      ],
      apps,
    });
    expect(r.stdout).toBe('');
  });
});
