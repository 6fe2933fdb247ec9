import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo, strata, suiteWorkspace, tempWorkspace, treeOf } from '@strata/testing/workspace';

/** Adds `apps/<name>` with the given app.ts, importing @strata/core as the other apps do. */
function addApp(root: string, name: string, source: string) {
  mkdirSync(join(root, 'apps', name, 'src'), { recursive: true });
  if (!existsSync(join(root, 'apps', name, 'node_modules'))) {
    mkdirSync(join(root, 'apps', name, 'node_modules', '@strata'), { recursive: true });
    symlinkSync('../../../../packages/core', join(root, 'apps', name, 'node_modules', '@strata', 'core'));
  }
  writeFileSync(join(root, 'apps', name, 'src', 'app.ts'), source);
}

const app = (name: string, body: string, extra = '') => `import { defineApp } from '@strata/core';
export const app = defineApp<{ n: number }${extra ? ', string' : ''}>({
  name: '${name}',
  defaults: { n: 1 },
  ${extra}
  envs: { dev: {}, staging: {}, prod: {} },
  render: (c) => ${body},
});
`;

/** Every file under `root`, symlinked folders (node_modules, .tools) aside. */
function allFiles(root: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (lstatSync(p).isSymbolicLink()) continue;
    if (e.isDirectory()) out.push(...allFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe('hostile names never become paths', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let outside: string;
  beforeAll(() => {
    ws = tempWorkspace(['tensafe']);
    outside = mkdtempSync(join(tmpdir(), 'strata-outside-'));
  });
  afterAll(() => {
    ws.dispose();
    rmSync(outside, { recursive: true, force: true });
  });

  const refused = (source: string, message: RegExp) => {
    addApp(ws.root, 'evil', source);
    const before = treeOf(ws.root);
    const r = strata(ws.root, ['generate', '--app', 'evil']);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.status).toBe(1);
    // Nothing written, nothing removed: not evil's own folders, not tensafe's files.
    expect(treeOf(ws.root)).toStrictEqual(before);
    expect(existsSync(join(ws.root, 'base', 'evil'))).toBe(false);
  };

  it('an object named to land outside the repository', () => {
    // base/evil/configmap.x/../../../../<outside>/pwned.yaml is <tmp>/<outside>/pwned.yaml.
    const name = `x/../../../../${basename(outside)}/pwned`;
    refused(
      app('evil', `[{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ${JSON.stringify(name)} }, data: { n: String(c.n) } }]`),
      /^strata: apps\/evil\/src\/app\.ts: v1\/ConfigMap x\/\.\.\/.*\/pwned: metadata\.name: ".*" must be a DNS-1123 subdomain/,
    );
    expect(readdirSync(outside)).toStrictEqual([]);
  });

  it("an object named to overwrite another app's file", () => {
    refused(
      app(
        'evil',
        `[{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x/../../tensafe/deployment.tensafe' }, spec: { replicas: c.n } }]`,
      ),
      /^strata: apps\/evil\/src\/app\.ts: apps\/v1\/Deployment x\/\.\.\/\.\.\/tensafe\/deployment\.tensafe: metadata\.name: .* must be a DNS-1123 subdomain/,
    );
  });

  it('a kind that holds a path', () => {
    refused(
      app('evil', `[{ apiVersion: 'v1', kind: 'X/../../Tensafe/Deployment', metadata: { name: 'tensafe' }, data: { n: String(c.n) } }]`),
      /^strata: apps\/evil\/src\/app\.ts: v1\/X\/\.\.\/\.\.\/Tensafe\/Deployment tensafe: kind: .* must be a kind/,
    );
  });

  it("a component named to make another app's base stale", () => {
    const components = `components: { '../../tensafe': { description: 'x', overrides: { n: 2 } } },`;
    refused(
      app('evil', `[{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' }, data: { n: String(c.n) } }]`, components),
      /^strata: apps\/evil\/src\/app\.ts:\d+:\d+: cannot load: app evil: components\["\.\.\/\.\.\/tensafe"\]: a component name must be a DNS-1123 label/,
    );
    expect(readdirSync(join(ws.root, 'base', 'tensafe')).length).toBeGreaterThan(20);
  });
});

describe('a generated folder linked out of the repository', () => {
  // The copy's env roots and gitops/ list just its app, so only the link stands in the way.
  const ws = suiteWorkspace(['tensafe'], { generate: true, timeout: 120_000 });

  /** Every file in a folder outside the tree, with its content. */
  const contents = (dir: string) =>
    Object.fromEntries(
      readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile())
        .map((e) => [join(e.parentPath, e.name).slice(dir.length + 1), readFileSync(join(e.parentPath, e.name), 'utf8')]),
    );

  it.each([
    'base/tensafe',
    'overlays/prod/tensafe',
  ])('%s is refused in one line by generate, pipeline and check, and nothing is written on either side', (folder) => {
    const outside = mkdtempSync(join(tmpdir(), 'strata-linked-'));
    try {
      cpSync(join(ws.root, folder), outside, { recursive: true });
      // What a writer following the link would do there: rewrite a changed file, remove a stale one.
      writeFileSync(join(outside, 'kustomization.yaml'), `${readFileSync(join(outside, 'kustomization.yaml'), 'utf8')}# changed by hand\n`);
      writeFileSync(
        join(outside, 'configmap.stale.yaml'),
        `${readFileSync(join(outside, 'kustomization.yaml'), 'utf8').split('\n')[0]}\napiVersion: v1\nkind: ConfigMap\n`,
      );
      rmSync(join(ws.root, folder), { recursive: true });
      symlinkSync(outside, join(ws.root, folder));
      const there = contents(outside);
      const tree = treeOf(ws.root);
      for (const args of [['generate'], ['generate', '--app', 'tensafe'], ['pipeline', '--no-frozen'], ['check']]) {
        const r = strata(ws.root, args);
        expect(r.stderr, args.join(' ')).toBe(
          `strata: ${folder}: is a symbolic link (to ${outside}); generated folders must be plain folders in the workspace, so nothing was written: remove the link, then generate again\n`,
        );
        expect(r.status).toBe(1);
        expect(contents(outside)).toStrictEqual(there);
        expect(treeOf(ws.root)).toStrictEqual(tree);
      }
    } finally {
      rmSync(join(ws.root, folder), { recursive: true, force: true });
      cpSync(join(repo, folder), join(ws.root, folder), { recursive: true });
      rmSync(outside, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('dist/ linked out of the repository', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    ws = tempWorkspace(['tensafe']);
    expect(strata(ws.root, ['generate']).status).toBe(0);
    // A first run fills dist/ and the pipeline's cache: a later run reuses the app and only prunes dist/.
    expect(strata(ws.root, ['pipeline']).status).toBe(0);
  }, 120_000);
  afterAll(() => ws.dispose());

  /** Every entry under a folder, links not followed, with a file's content or a link's target. */
  const entries = (dir: string): Record<string, string> =>
    Object.fromEntries(
      readdirSync(dir, { withFileTypes: true, recursive: true }).map((e) => {
        const p = join(e.parentPath, e.name);
        return [p.slice(dir.length + 1), e.isSymbolicLink() ? `-> ${readlinkSync(p)}` : e.isFile() ? readFileSync(p, 'utf8') : '/'];
      }),
    );

  it.each([
    'dist',
    'dist/prod',
  ])('%s is refused in one line by build and pipeline, cached or not, and nothing is written or removed on either side', (folder) => {
    const outside = mkdtempSync(join(tmpdir(), 'strata-linked-dist-'));
    try {
      // What a writer following the link would overwrite, and what pruning through it would remove.
      cpSync(join(ws.root, folder), outside, { recursive: true });
      writeFileSync(join(outside, folder === 'dist' ? 'notes.txt' : 'gone.yaml'), 'kept\n');
      rmSync(join(ws.root, folder), { recursive: true });
      symlinkSync(outside, join(ws.root, folder));
      const there = entries(outside);
      const dist = entries(join(ws.root, 'dist'));
      for (const args of [['build'], ['build', '--app', 'tensafe', '--env', 'prod'], ['pipeline', '--no-cache'], ['pipeline']]) {
        const r = strata(ws.root, args);
        // The last line: in CI, the build's progress lines come first.
        expect(r.stderr.trimEnd().split('\n').at(-1), args.join(' ')).toMatch(
          new RegExp(
            `^strata: (cannot write dist/: )?${folder}: is a symbolic link \\(to ${outside}\\); built output goes only to plain folders in the workspace, so nothing was written or removed through it: remove the link, then run again$`,
          ),
        );
        expect(r.status, args.join(' ')).toBe(1);
        expect(entries(outside), args.join(' ')).toStrictEqual(there);
        expect(entries(join(ws.root, 'dist')), args.join(' ')).toStrictEqual(dist);
      }
    } finally {
      rmSync(join(ws.root, folder), { force: true });
      rmSync(outside, { recursive: true, force: true });
      expect(strata(ws.root, ['build']).status).toBe(0);
    }
  }, 300_000);

  it('a dist/ file that is a link is replaced by the built file, and what it pointed at is left as it was', () => {
    const outside = join(mkdtempSync(join(tmpdir(), 'strata-linked-file-')), 'tensafe.yaml');
    try {
      writeFileSync(outside, 'kept\n');
      const file = join(ws.root, 'dist', 'prod', 'tensafe.yaml');
      const built = readFileSync(file, 'utf8');
      for (const args of [['build'], ['pipeline', '--no-cache']]) {
        rmSync(file);
        symlinkSync(outside, file);
        expect(strata(ws.root, args).status, args.join(' ')).toBe(0);
        expect(lstatSync(file).isSymbolicLink()).toBe(false);
        expect(readFileSync(file, 'utf8')).toBe(built);
        expect(readFileSync(outside, 'utf8')).toBe('kept\n');
      }
    } finally {
      rmSync(join(outside, '..'), { recursive: true, force: true });
    }
  }, 120_000);
});

describe('Secret values never touch disk', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  // Made when the app renders, so the value is not even in its source.
  const value = `s3cr3t-${process.pid}-${Date.now()}`;
  const parts = JSON.stringify(value.split('-'));
  beforeAll(() => {
    ws = tempWorkspace(['tokenplace-relay']);
    // The copy holds one app: its env roots and gitops/ must list just that app, or a pipeline
    // under CI=true (frozen) refuses the out-of-date tree.
    expect(strata(ws.root, ['generate']).status).toBe(0);
    // A first run fills dist/ and the pipeline's cache, so the search below covers them too.
    expect(strata(ws.root, ['pipeline']).status).toBe(0);
  });
  afterAll(() => ws.dispose());

  it.each([
    [
      'stringData',
      `{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'leaky' }, stringData: { password: ${parts}.join('-') } }`,
    ],
    [
      'a generated Secret',
      `{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'leaky', annotations: { 'strata.dev/generator': '' } }, data: { password: btoa(${parts}.join('-')) } }`,
    ],
    [
      'a Secret inside a kind: List',
      `{ apiVersion: 'v1', kind: 'List', metadata: { name: 'bundle', namespace: 'leaky' }, items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'leaky' }, data: { password: btoa(${parts}.join('-')) } }] } as never`,
    ],
    [
      'a Secret inside a SecretList',
      `{ apiVersion: 'v1', kind: 'SecretList', metadata: { name: 'bundle', namespace: 'leaky' }, items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'leaky' }, stringData: { password: ${parts}.join('-') } }] } as never`,
    ],
  ])('%s is refused before anything is written, and the value is never printed', (_, secret) => {
    addApp(
      ws.root,
      'leaky',
      app('leaky', `[{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'leaky' }, data: { n: String(c.n) } }, ${secret}]`),
    );
    try {
      const before = treeOf(ws.root);
      for (const command of ['generate', 'pipeline', 'check']) {
        const r = strata(ws.root, [command]);
        expect(r.stderr).toMatch(
          /^strata: apps\/leaky\/src\/app\.ts: (v1\/Secret leaky\/creds: (stringData|data)\.password: |v1\/(Secret)?List leaky\/bundle: items\[0\]\.(stringData|data)\.password: the item v1\/Secret leaky\/creds holds a value; )a Secret must not hold values in the committed tree[^\n]*\n$/,
        );
        expect(r.status).toBe(1);
        expect(`${r.stdout}${r.stderr}`).not.toContain(value);
      }
      expect(treeOf(ws.root)).toStrictEqual(before);
      const base64 = Buffer.from(value).toString('base64');
      const leaks = allFiles(ws.root).filter((f) => {
        const text = readFileSync(f, 'latin1');
        return text.includes(value) || text.includes(base64);
      });
      expect(leaks).toStrictEqual([]);
      expect(existsSync(join(ws.root, 'dist'))).toBe(true);
      expect(existsSync(join(ws.root, '.strata'))).toBe(true);
    } finally {
      rmSync(join(ws.root, 'apps', 'leaky'), { recursive: true, force: true });
    }
  });
});

describe('env files are exact', () => {
  const ws = suiteWorkspace(['rtmlib-ml-backend']);

  /**
   * Rewrites the line `was` of a file of the app to `now`, and asserts that each command refuses it
   * with exit 1, writing nothing, and a stderr that is `want(line)` (or matches it, a pattern), where
   * `line` is the line's number; the file is put back after.
   */
  function expectRefusedAtLine(
    file: string,
    was: string,
    now: string,
    want: (line: number) => string | RegExp,
    commands = ['generate', 'pipeline', 'check'],
  ) {
    const path = join(ws.root, 'apps/rtmlib-ml-backend', file);
    const original = readFileSync(path, 'utf8');
    const lines = original.split('\n');
    const line = lines.indexOf(was) + 1;
    expect(line, `${file} has no line ${was}`).toBeGreaterThan(0);
    writeFileSync(path, lines.map((l, i) => (i === line - 1 ? now : l)).join('\n'));
    try {
      const before = treeOf(ws.root);
      for (const command of commands) {
        const r = strata(ws.root, [command]);
        const message = want(line);
        if (typeof message === 'string') expect(r.stderr, command).toBe(message);
        else expect(r.stderr, command).toMatch(message);
        expect(r.status, command).toBe(1);
      }
      expect(treeOf(ws.root)).toStrictEqual(before);
    } finally {
      writeFileSync(path, original);
    }
  }

  it('a misspelt key fails generate, pipeline and check, naming the env file, the key and the key it was meant to be', () => {
    expectRefusedAtLine(
      'src/env/prod.ts',
      '    replicas: 3,',
      '    replicaz: 3,',
      (line) =>
        `strata: apps/rtmlib-ml-backend/src/env/prod.ts:${line}:5: replicaz: not a key of app rtmlib-ml-backend's config; did you mean replicas?\n`,
    );
    expect(existsSync(join(ws.root, 'dist'))).toBe(false);
  });

  it.each([
    'gpux',
    'constructor',
    'toString',
    '__proto__',
    'hasOwnProperty',
  ])('an unknown component %s fails generate, pipeline and check at its line in the env file, listing the components there are', (name) => {
    expectRefusedAtLine(
      'src/env/prod.ts',
      "  components: ['gpu'],",
      `  components: ['gpu', '${name}' as 'gpu'],`,
      (line) => `strata: apps/rtmlib-ml-backend/src/env/prod.ts:${line}:3: components[1]: unknown component "${name}"; known components: gpu\n`,
    );
  });

  it("a misspelt key of the app's definition fails generate, pipeline and check at its line: an exception's `kinds` would waive the rule for every object", () => {
    expectRefusedAtLine(
      'src/app.ts',
      "        kind: 'Deployment',",
      "        kinds: ['Deployment'],",
      (line) =>
        `strata: apps/rtmlib-ml-backend/src/app.ts:${line}:9: policy.exceptions[0].kinds: not a key of policy.exceptions[0]; did you mean kind?\n`,
    );
  });

  it('an env key set to null over a default fails generate at its line: the prod overlay would carry replicas: null', () => {
    expectRefusedAtLine(
      'src/env/prod.ts',
      '    replicas: 3,',
      '    replicas: null,',
      (line) =>
        new RegExp(
          `^strata: apps/rtmlib-ml-backend/src/env/prod\\.ts:${line}:5: replicas: null would replace the default \\d+ and be written out as null; remove the key to keep the default, or give a value\n$`,
        ),
      ['generate'],
    );
  });
});

describe('an env list whose item keys nothing declares', () => {
  const ws = suiteWorkspace(['rtmlib-ml-backend']);

  /** A scratch app whose defaults hold no ingress rule, with `optional` as given; staging opens UDP 5010. */
  function addRelay(optional: string, staging: string) {
    addApp(
      ws.root,
      'relay',
      `import { defineApp } from '@strata/core';
import { staging } from './env/staging.ts';

export interface Config {
  readonly extraIngress: readonly { readonly cidr: string; readonly port: number; readonly protocol?: 'TCP' | 'UDP' }[];
}

export const app = defineApp<Config>({
  name: 'relay',
  defaults: { extraIngress: [] },
  ${optional}
  envs: { dev: {}, staging, prod: {} },
  render: (c) => [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'relay', namespace: 'relay' },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: c.extraIngress.map((r) => ({ from: [{ ipBlock: { cidr: r.cidr } }], ports: [{ port: r.port, protocol: r.protocol ?? 'TCP' }] })),
      },
    },
  ],
});
`,
    );
    mkdirSync(join(ws.root, 'apps/relay/src/env'), { recursive: true });
    writeFileSync(
      join(ws.root, 'apps/relay/src/env/staging.ts'),
      `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../app.ts';

export const staging: EnvironmentDefinition<Config> = {
  config: {
    extraIngress: [${staging}],
  },
};
`,
    );
  }

  it("refuses a staging rule's misspelt protocol at its line, saying what to declare, until the app declares the item keys", () => {
    addRelay('', "{ cidr: '192.0.2.0/24', port: 5010, protcol: 'UDP' }");
    try {
      const before = treeOf(ws.root);
      const r = strata(ws.root, ['generate', '--app', 'relay']);
      expect(r.stderr).toBe(
        "strata: apps/relay/src/env/staging.ts:6:5: extraIngress: nothing says which keys its items take (the defaults' list is empty), so a misspelt one would merge into nothing; declare them, as the item type names them, in defineApp's optional: { extraIngress: [{ cidr: true, port: true, protcol: true }] }\n",
      );
      expect(r.status).toBe(1);
      expect(treeOf(ws.root)).toStrictEqual(before);

      // Declared, the misspelt key is named with the key it was meant to be.
      addRelay('optional: { extraIngress: [{ cidr: true, port: true, protocol: true }] },', "{ cidr: '192.0.2.0/24', port: 5010, protcol: 'UDP' }");
      const declared = strata(ws.root, ['generate', '--app', 'relay']);
      expect(declared.stderr).toBe(
        "strata: apps/relay/src/env/staging.ts:6:56: extraIngress[0].protcol: not a key of app relay's config; did you mean extraIngress[0].protocol?\n",
      );
      expect(declared.status).toBe(1);
      expect(treeOf(ws.root)).toStrictEqual(before);

      // Spelt right, the rule opens UDP.
      addRelay('optional: { extraIngress: [{ cidr: true, port: true, protocol: true }] },', "{ cidr: '192.0.2.0/24', port: 5010, protocol: 'UDP' }");
      const fixed = strata(ws.root, ['generate', '--app', 'relay']);
      expect(fixed.stderr).toBe('');
      expect(fixed.status).toBe(0);
      const staging = readdirSync(join(ws.root, 'overlays/staging/relay')).map((f) =>
        readFileSync(join(ws.root, 'overlays/staging/relay', f), 'utf8'),
      );
      expect(staging.join('\n')).toContain('protocol: UDP');
    } finally {
      rmSync(join(ws.root, 'apps/relay'), { recursive: true, force: true });
    }
  });
});
