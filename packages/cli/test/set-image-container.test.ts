import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectRefusal, strata, suiteWorkspace } from '@strata/testing/workspace';

// set image on an app that pins several containers: the container is named, or the image's
// repository is the one exactly one of them runs; a forgotten --container never puts one
// container's image into another.
describe('strata set image on an app with several containers', () => {
  const ws = suiteWorkspace(['tensafe']);
  const pins = () => readFileSync(join(ws.root, 'apps/tensafe/images.json'), 'utf8');

  it('refuses a reference that names no container, listing them, and writes nothing', () => {
    expectRefusal(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'dev', ':4.3.0'], {
      status: 2,
      stderr: [
        'strata: app tensafe pins several containers (tensafe: docker.io/tensafe/tensafe, postgresql: docker.io/library/postgres, redis: docker.io/library/redis): say which with --container',
      ],
      apps: ['tensafe'],
    });
  });

  it("changes the container whose repository the image names, not the app's main one", () => {
    const r = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'dev', 'docker.io/library/postgres:17']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('tensafe dev postgresql: docker.io/library/postgres:16.4 -> docker.io/library/postgres:17');
    expect(pins()).toContain('"tensafe": { "repository": "docker.io/tensafe/tensafe", "tag": "4.1.0-rc.2" }');
  });

  it('changes the container named, whatever the repository', () => {
    const r = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'dev', '--container', 'tensafe', ':4.3.0']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('tensafe dev tensafe: docker.io/tensafe/tensafe:4.1.0-rc.2 -> docker.io/tensafe/tensafe:4.3.0');
  });
});
