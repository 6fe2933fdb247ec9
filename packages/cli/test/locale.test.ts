import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { strata, suiteWorkspace } from '@strata/testing/workspace';

// Node takes its locale from LC_ALL as it starts, whether the machine has that locale installed or
// not. Those used here differ from en-US where output could show it: Turkish case folding (a dotless
// ı under I), German numbers (1.234,5), Danish "aa" sorted as å after z, Lithuanian y between i and j.

/** What a run printed, with the seconds it took (which differ from run to run) left out. */
const printed = (r: { status: number; stdout: string; stderr: string }) =>
  [r.status, r.stdout, r.stderr].map((s) => String(s).replace(/\b\d+\.\d\ds\b/g, '<s>'));

describe("the strata command and the user's locale", () => {
  const ws = suiteWorkspace(['tokenplace-relay']);

  it('new-app registers the app in package.json in the order of en-US, whatever the locale', () => {
    // aa-web sorts after tokenplace-relay in Danish, yak-web before jay-web in Lithuanian.
    for (const [name, locale] of [
      ['aa-web', 'da_DK.UTF-8'],
      ['jay-web', 'C.UTF-8'],
      ['yak-web', 'lt_LT.UTF-8'],
    ] as const) {
      const r = strata(ws.root, ['new-app', name, '--no-install'], undefined, { LANG: locale, LC_ALL: locale, CI: '' });
      expect(r.status, r.stderr).toBe(0);
    }
    const registered = Object.keys(JSON.parse(readFileSync(join(ws.root, 'package.json'), 'utf8')).devDependencies).filter((d) =>
      d.startsWith('@strata-apps/'),
    );
    expect(registered).toStrictEqual(['@strata-apps/aa-web', '@strata-apps/jay-web', '@strata-apps/tokenplace-relay', '@strata-apps/yak-web']);
  });

  it('help, ls and validate of a file print the same in Turkish and German as with no locale', () => {
    writeFileSync(
      join(ws.root, 'Iota.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: iota, namespace: shop}',
        'spec:',
        '  replicas: 1234567',
        '  selector: {matchLabels: {app: Iota}}',
        '  template:',
        '    metadata: {labels: {app: Iota}}',
        '    spec: {containers: [{name: web, image: "nginx:latest", resources: {limits: {cpu: 1500m, memory: 1234567890}}}]}',
        '',
      ].join('\n'),
    );
    const commands = [
      ['help', 'valdate'],
      ['ls', '--app', 'tokenplace-relay'],
      ['validate', 'Iota.yaml'],
    ];
    for (const args of commands) {
      const none = printed(strata(ws.root, args, undefined, { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', CI: '' }));
      for (const locale of ['tr_TR.UTF-8', 'de_DE.UTF-8']) {
        expect(printed(strata(ws.root, args, undefined, { LANG: locale, LC_ALL: locale, CI: '' })), `${args.join(' ')} in ${locale}`).toStrictEqual(
          none,
        );
      }
    }
  });
});
