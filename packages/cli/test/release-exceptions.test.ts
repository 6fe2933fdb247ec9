import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editFile, strata, suiteWorkspace } from '@strata/testing/workspace';

// set image and promote judge a pin by tag as validate and the pipeline judge the image it renders:
// with the env's severities and the app's exceptions, so an app that excepts require-image-digest
// for an object (as every imported app does) releases that object's image by tag.
describe('set image and promote under an app policy exception', () => {
  const ws = suiteWorkspace(['tensafe']);
  const pins = () => readFileSync(join(ws.root, 'apps/tensafe/images.json'), 'utf8');

  it('pins a tag in prod for the objects the exception covers, and validate passes what it builds', () => {
    editFile(join(ws.root, 'apps/tensafe/src/app.ts'), (t) =>
      t.replace(
        "  name: 'tensafe',\n",
        "  name: 'tensafe',\n  policy: { exceptions: [{ rule: 'require-image-digest', kind: 'StatefulSet', reason: 'runs the vendor tags' }] },\n",
      ),
    );
    const r = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'prod', '--container', 'redis', 'docker.io/library/redis:7.4.9']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(pins()).toContain('"redis": { "repository": "docker.io/library/redis", "tag": "7.4.9" }');
    const build = strata(ws.root, ['build', '--app', 'tensafe', '--env', 'prod']);
    expect(build.status).toBe(0);
    expect(readFileSync(join(ws.root, 'dist/prod/tensafe.yaml'), 'utf8')).toContain('image: docker.io/library/redis:7.4.9');
    const validate = strata(ws.root, ['validate', 'dist/prod/tensafe.yaml'], undefined, { CI: '' });
    expect(validate.stdout).toContain('excepted');
    expect(validate.status).toBe(0);
  });

  it('still refuses a tag for a container of an object the exception does not cover (the Deployment)', () => {
    const before = pins();
    const r = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'prod', '--container', 'tensafe', 'docker.io/tensafe/tensafe:4.2.0']);
    expect(r.stderr.trim().split('\n')).toStrictEqual([
      'strata: prod requires images pinned by digest (require-image-digest): tensafe/tensafe "docker.io/tensafe/tensafe:4.2.0" has none; give repo@sha256:<digest> or @sha256:<digest>',
    ]);
    expect(r.status).toBe(1);
    expect(pins()).toBe(before);
  });

  it('promotes a tag from staging to prod for the excepted objects', { timeout: 300_000 }, () => {
    const set = strata(ws.root, ['set', 'image', '--app', 'tensafe', '--env', 'staging', '--container', 'redis', 'docker.io/library/redis:7.5.0']);
    expect(set.status).toBe(0);
    // staging runs what prod runs for the Deployment, so the redis pin is all there is to promote.
    const prod = JSON.parse(pins()).prod.tensafe as { repository: string; digest: string };
    const same = strata(ws.root, [
      'set',
      'image',
      '--app',
      'tensafe',
      '--env',
      'staging',
      '--container',
      'tensafe',
      `${prod.repository}@${prod.digest}`,
    ]);
    expect(same.status).toBe(0);
    const r = strata(ws.root, ['promote', '--from', 'staging', '--to', 'prod', '--app', 'tensafe']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(pins()).prod.redis).toStrictEqual({ repository: 'docker.io/library/redis', tag: '7.5.0' });
  });
});
