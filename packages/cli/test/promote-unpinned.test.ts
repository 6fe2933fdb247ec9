import { describe, expect, it } from 'vitest';
import { expectRefusal, strata, suiteWorkspace } from '@strata/testing/workspace';

// promote makes the target env run what the source env runs. A container the source leaves to the
// app's config while the target runs another image cannot be promoted by copying pins: promote says
// so and changes nothing, rather than reporting that nothing changed.
const DIGEST = `sha256:${'2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6'}`;

describe('strata promote from an env that pins no image of a container the target runs differently', () => {
  const ws = suiteWorkspace(['tensafe']);

  it('refuses, naming the container, what each env runs and how to pin the source, and writes nothing', () => {
    const r = expectRefusal(ws.root, ['promote', '--from', 'staging', '--to', 'prod', '--app', 'tensafe'], {
      status: 1,
      stderr: [
        'strata: apps/tensafe/images.json: staging pins no image for tensafe/tensafe (it runs docker.io/tensafe/tensafe:4.0.0, from its config) ' +
          'while prod runs docker.io/tensafe/tensafe@sha256:7d4e1f0a3b6c9d2e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2a5b8c1d4e (pinned); ' +
          'nothing promoted: pin staging first with npx strata set image --app tensafe --env staging --container tensafe <image>',
      ],
      apps: ['tensafe'],
    });
    expect(r.stdout).toBe('');
  });

  it('promotes once the source pins it; a container the target pins by digest at the tag the source runs is the same image', () => {
    expect(strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'staging', '--container', 'tensafe', `:4.2.0@${DIGEST}`]).status).toBe(0);
    const r = strata(ws.root, ['promote', '--from', 'staging', '--to', 'prod', '--app', 'tensafe']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `tensafe prod tensafe: docker.io/tensafe/tensafe@sha256:7d4e1f0a3b6c9d2e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2a5b8c1d4e -> docker.io/tensafe/tensafe:4.2.0@${DIGEST}`,
    );
    expect(r.stdout).toMatch(/^promote staging -> prod: 1 image changed/m);
  });
});
