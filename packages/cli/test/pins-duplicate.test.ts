import { join } from 'node:path';
import { describe, it } from 'vitest';
import { editFile, expectRefusal, suiteWorkspace } from '@strata/testing/workspace';

// A container pinned twice in one env of images.json (two branches that each bump a pin, merged
// textually) is refused in one line naming both places: JSON keeps only the last, so a bump of the
// first would change nothing.
describe('an images.json that pins a container twice', () => {
  const ws = suiteWorkspace(['tokenplace-relay']);
  const file = () => join(ws.root, 'apps/tokenplace-relay/images.json');
  const expected =
    'strata: apps/tokenplace-relay/images.json:7:5: staging.relay: written twice (first at line 6); JSON keeps only the last, so keep one';

  it('is refused by generate, check, set image and promote, in one line, with nothing written', () => {
    editFile(file(), (t) =>
      t.replace(
        '    "relay": { "repository": "ghcr.io/tokenplace/tokenplace-relay", "tag": "1.4.0" }\n',
        '    "relay": { "repository": "ghcr.io/tokenplace/tokenplace-relay", "tag": "1.4.0" },\n    "relay": { "repository": "ghcr.io/tokenplace/tokenplace-relay", "tag": "1.3.0" }\n',
      ),
    );
    for (const args of [
      ['generate'],
      ['check'],
      ['set', 'image', '--app', 'tokenplace-relay', '--env', 'dev', ':1.5.0'],
      ['promote', '--from', 'dev', '--to', 'staging'],
    ])
      expectRefusal(ws.root, args, { status: 1, stderr: [expected], apps: ['tokenplace-relay'] });
  });
});
