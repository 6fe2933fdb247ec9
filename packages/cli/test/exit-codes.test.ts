import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, EXIT, exitCodeFor } from '../src/exit.ts';
import { repo, strata, tempWorkspace, treeOf } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';

// Exit 2 means strata was called wrongly or a tool failed, so the input was never judged; exit 1
// means the input is invalid. A crashed tool cannot be produced on demand, so stand-ins for the
// binaries play the crash, and a module loaded before the CLI crashes its file writer thread: the
// faults these tests inject.
describe('exit codes through the real CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-exit-'));
  let ws: ReturnType<typeof tempWorkspace>;
  const tool = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  let killed: string;
  let garbage: string;
  let prose: string;
  let panics: string;
  let manifest: string;
  beforeAll(() => {
    ws = tempWorkspace([APP]);
    // The copy holds one app: its env roots and gitops/ must list just that app, or a pipeline
    // under CI=true (frozen) stops at the out-of-date tree before it reaches the fault under test.
    expect(strata(ws.root, ['generate']).status).toBe(0);
    killed = tool('killed', 'kill -KILL $$');
    garbage = tool('garbage', 'cat >/dev/null; echo "{this is not what was asked for"; exit 0');
    prose = tool('prose', 'echo "all good"; exit 0');
    // What a Go program prints when it crashes: the runtime's panic, exit code 2.
    panics = tool(
      'panics',
      'echo "panic: runtime error: invalid memory address or nil pointer dereference" >&2; echo "goroutine 1 [running]:" >&2; exit 2',
    );
    manifest = join(dir, 'cm.yaml');
    writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  a: b\n');
  });
  afterAll(() => {
    ws.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    [['generate', '--ap', APP], /^strata: unknown option '--ap' \(did you mean --app\?\); run with --help for usage\n$/],
    [['validate', '--kubernets-version', '1.36'], /unknown option '--kubernets-version'/],
    [['genrate'], /unknown command 'genrate'/],
    [['generate', 'extra'], /too many arguments for 'generate'/],
    [['validate', '--output', 'xml'], /argument 'xml' is invalid/],
    [['build', '--env'], /option '-e, --env <env>' argument missing/],
    // A typo of a required option is the unknown option it is, not the required one missing.
    [['promote', '--form', 'dev', '--to', 'staging'], /^strata: unknown option '--form' \(did you mean --from\?\);/],
    [['set', 'image', '--ap', APP, '-e', 'dev', 'x:1'], /^strata: unknown option '--ap' \(did you mean --app\?\);/],
    [['set', 'image', '-a', APP, '--evn', 'dev', 'x:1'], /^strata: unknown option '--evn' \(did you mean --env\?\);/],
    [['graph', '--evn', 'dev'], /^strata: unknown option '--evn' \(did you mean --env\?\);/],
    [['import', '--nmae', 'foo', '-e', 'dev=x.yaml'], /^strata: unknown option '--nmae' \(did you mean --name\?\);/],
    // One truly left out is still said as missing.
    [['promote', '--to', 'staging'], /^strata: required option '--from <env>' not specified;/],
    [['set', 'image', '-a', APP, 'x:1'], /^strata: required option '-e, --env <env>' not specified;/],
  ])('a usage mistake exits 2 before doing anything, in one line: strata %j', (args, message) => {
    const r = strata(repo, args);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^strata: .*; run with --help for usage\n$/);
    expect(r.status).toBe(2);
  });

  it.each([
    [['help', 'nope'], "unknown command 'nope'"],
    [['help', 'genrate'], "unknown command 'genrate' (did you mean generate?)"],
    [['help', 'set', 'imag'], "unknown command 'imag' (did you mean image?)"],
    [['set', 'help', 'imag'], "unknown command 'imag' (did you mean image?)"],
  ])('help of a name that is no command says so in one line, with the suggestion a mistyped command gets, exit 2: strata %j', (args, message) => {
    const r = strata(repo, args);
    expect(r.stderr).toBe(`strata: ${message}; run with --help for usage\n`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
    // The same words as the mistyped command itself.
    if (args[0] === 'help' && args.length === 2) expect(strata(repo, args.slice(1)).stderr).toBe(r.stderr);
  });

  it('help of a command, also of a subcommand, is its --help', () => {
    for (const args of [['ls'], ['set', 'image'], ['crd', 'add']]) {
      const r = strata(repo, ['help', ...args]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(strata(repo, [...args, '--help']).stdout);
      expect(r.stdout).toContain(`Usage: strata ${args.join(' ')} `);
    }
    expect(strata(repo, ['set', 'help', 'image']).stdout).toBe(strata(repo, ['set', 'image', '--help']).stdout);
  });

  it.each([
    [
      ['set', 'image', '--app', 'other', '--app', APP, '--env', 'dev', ':v9'],
      'set image: --app given twice (other, then tokenplace-relay); it takes one value, so give it once',
    ],
    [['check', '--env', 'prod', '--env', 'dev'], 'check: --env given twice (prod, then dev); it takes one value, so give it once'],
    [
      ['validate', '-o', 'text', '--output', 'json', 'cm.yaml'],
      'validate: --output given twice (text, then json); it takes one value, so give it once',
    ],
    [['pipeline', '--frozen', '--no-frozen'], 'pipeline: --frozen and --no-frozen contradict each other; give one of them'],
    [['generate', '--env', ''], 'generate: --env: empty value; give one, or leave the option out'],
    [['ls', '--env='], 'ls: --env: empty value; give one, or leave the option out'],
    [['verify', '--app', APP, '--env', ''], 'verify: --env: empty value; give one, or leave the option out'],
    [['validate', '--kubernetes-version', '', 'cm.yaml'], 'validate: --kubernetes-version: empty value; give one, or leave the option out'],
    [['graph', '--env', 'dev', '--out', ''], 'graph: --out: empty value; give one, or leave the option out'],
  ])('a flag given twice, empty or against its negation is a usage mistake, and nothing runs: strata %j', (args, message) => {
    const before = treeOf(ws.root);
    const r = strata(ws.root, args);
    expect(r.stderr).toBe(`strata: ${message}; run with --help for usage\n`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
    expect(treeOf(ws.root)).toStrictEqual(before);
  });

  it('a flag that takes a list adds up when repeated, as kubectl list flags do', () => {
    const r = strata(repo, ['ls', '--app', 'tensafe', '--app', APP, '--env', 'dev', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as { app: string }[]).map((row) => row.app)).toStrictEqual(['tensafe', APP]);
    expect(r.status).toBe(0);
  });

  it.each(['json', 'sarif', 'junit'])('a usage mistake under -o %s still prints one report document, the mistake its one problem', (format) => {
    const r = strata(repo, ['validate', '-o', format, '--no-polcy', manifest]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("strata: unknown option '--no-polcy' (did you mean --no-policy?); run with --help for usage\n");
    expect(r.stdout).toContain('unknown option');
    if (format === 'json') {
      const report = JSON.parse(r.stdout) as { problems: { rule: string; message: string }[] };
      expect(report.problems).toStrictEqual([
        expect.objectContaining({ rule: 'usage', message: expect.stringMatching(/^unknown option '--no-polcy'/) }),
      ]);
    } else if (format === 'sarif') expect(JSON.parse(r.stdout).runs).toHaveLength(1);
    else expect(r.stdout).toMatch(/^<\?xml[\s\S]*<\/testsuites>\s*$/);
  });

  it('validate with nothing built says to build first, in one line, exit 2', () => {
    rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
    const r = strata(ws.root, ['validate']);
    expect(r.stderr).toBe('strata: no dist/ to validate: build it first (npm run build, or npx strata build), or name the files to validate\n');
    expect(r.status).toBe(2);
  });

  it('--kubernetes-version banana, or one without schemas, is a usage error naming the flag', () => {
    const banana = strata(repo, ['validate', '--kubernetes-version', 'banana', manifest]);
    expect(banana.stderr).toBe('strata: --kubernetes-version banana: Invalid Kubernetes version "banana": use a version such as 1.36 or 1.36.0.\n');
    expect(banana.status).toBe(2);
    const future = strata(repo, ['validate', '--kubernetes-version', '1.99', manifest]);
    expect(future.stderr).toBe(
      'strata: --kubernetes-version 1.99: Kubernetes 1.99 is not supported: kubernetes-validate 1.37.0 carries schemas for 1.25 to 1.37\n',
    );
    expect(future.status).toBe(2);
  });

  it('a wrong setting of the kubernetes section is one line at its line and column, exit 2, whatever the command, before anything is written', () => {
    const config = join(ws.root, 'strata.config.json');
    const saved = readFileSync(config, 'utf8');
    const tree = treeOf(ws.root);
    const cases: [object, string, string][] = [
      [
        { envs: { prod: '1.20' } },
        'prod',
        'kubernetes.envs.prod: Kubernetes 1.20 is not supported: kubernetes-validate 1.37.0 carries schemas for 1.25 to 1.37',
      ],
      [{ version: 136 }, 'version', 'kubernetes.version: must be a version string such as "1.35"'],
      [
        { serviceNodePortRange: '32767-30000' },
        'serviceNodePortRange',
        `kubernetes.serviceNodePortRange: must be a range of ports as kube-apiserver's --service-node-port-range takes it, "<from>-<to>", "<from>+<count>" or one port, such as "30000-32767" (1 to 65535, <from> not above <to>); got "32767-30000"`,
      ],
    ];
    try {
      for (const [kubernetes, key, message] of cases) {
        const text = JSON.stringify({ ...JSON.parse(saved), kubernetes });
        writeFileSync(config, text);
        const expected = `strata.config.json:1:${text.indexOf(`"${key}"`) + 1}: ${message}`;
        for (const args of [['validate', manifest], ['pipeline'], ['generate'], ['generate', '--dry-run'], ['check'], ['ci'], ['ci', '-o', 'json']]) {
          const r = strata(ws.root, args);
          expect(r.stderr, `strata ${args.join(' ')}`).toBe(`strata: ${expected}\n`);
          expect(r.status, `strata ${args.join(' ')}`).toBe(2);
          if (args.includes('json')) expect(JSON.parse(r.stdout).problems.map((p: { message: string }) => p.message)).toStrictEqual([expected]);
        }
      }
    } finally {
      writeFileSync(config, saved);
    }
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });

  it('a misspelt key of strata.config.json, a key written twice or a severity of the wrong shape is one line at its line, exit 2, before anything is judged', () => {
    const config = join(ws.root, 'strata.config.json');
    const saved = readFileSync(config, 'utf8');
    const cases: [string, string][] = [
      // Ignored, prod would be checked against 1.36, and an API 1.35 does not serve would pass.
      ['{\n  "kubernets": {"envs": {"prod": "1.35"}}\n}', 'strata.config.json:2:3: kubernets: unknown section; did you mean kubernetes?'],
      ['{\n  "policy": {\n    "severty": {}\n  }\n}', 'strata.config.json:3:5: policy.severty: unknown setting; did you mean severity?'],
      [
        '{\n  "kubernetes": {"envs": {"prod": "1.35"}},\n  "kubernetes": {}\n}',
        'strata.config.json:3:3: kubernetes: written twice (first at line 2); JSON keeps only the last, so merge the two into one',
      ],
      [
        '{"policy": {"severity": {"require-probes": "off"}}}',
        'strata.config.json:1:26: policy.severity.require-probes: must map envs to levels, such as {"dev": "warning"}; got "off"',
      ],
      [
        '{"policy": {"severity": {"require-probes": null}}}',
        'strata.config.json:1:26: policy.severity.require-probes: must map envs to levels, such as {"dev": "warning"}; got null',
      ],
      [
        // Written before the settings pipeline reads first, so that the rule ids are what is judged.
        `{"policy": {"severity": {"require-probe": {"dev": "off"}}}, "gitops": ${JSON.stringify(JSON.parse(saved).gitops)}}`,
        'strata.config.json:1:26: policy.severity.require-probe: Severity override for "require-probe" names no known rule: did you mean "require-probes"?',
      ],
    ];
    try {
      for (const [text, message] of cases) {
        writeFileSync(config, text);
        for (const args of [['validate', manifest], ['pipeline']]) {
          const r = strata(ws.root, args);
          expect(r.stderr).toBe(`strata: ${message}\n`);
          expect(r.status).toBe(2);
        }
      }
    } finally {
      writeFileSync(config, saved);
    }
  });

  it('graph --out to a place that cannot be written is a usage error naming the path', () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, '');
    for (const out of [join(dir, 'missing', 'topology.svg'), join(file, 'topology.svg')]) {
      const r = strata(ws.root, ['graph', '-e', 'dev', '-o', 'mermaid', '--out', out]);
      expect(r.stderr).toMatch(
        new RegExp(`^strata: --out ${out}: cannot write it \\((ENOENT|ENOTDIR)\\); name a file in a folder that exists and is writable$`, 'm'),
      );
      expect(r.status).toBe(2);
    }
  });

  it('graph --out replaces the picture whole, and a write that fails leaves the old one and no temporary file beside it', () => {
    const folder = join(dir, 'pictures');
    mkdirSync(folder);
    const out = join(folder, 'topology.svg');
    const old = '<svg>the picture of an earlier run</svg>\n';
    const picture = strata(ws.root, ['graph', '-e', 'dev']).stdout;
    // What a run killed between writing and renaming left: swept by the next write into the folder.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(folder, `.topology.svg.strata-tmp-${dead}-1`), '<svg');
    writeFileSync(out, old);
    expect(strata(ws.root, ['graph', '-e', 'dev', '--out', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(picture);
    expect(readdirSync(folder)).toStrictEqual(['topology.svg']);

    // A file-size limit below the picture's size: the write fails part way, as on a full disk.
    writeFileSync(out, old);
    const bin = join(ws.root, 'packages/cli/bin/strata.mjs');
    const limited = spawnSync('sh', ['-c', 'ulimit -f 8 && exec "$0" "$@"', process.execPath, bin, 'graph', '-e', 'dev', '--out', out], {
      cwd: ws.root,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    expect(picture.length).toBeGreaterThan(8 * 1024);
    expect(limited.stderr).toBe(`strata: --out ${out}: cannot write it (EFBIG); name a file in a folder that exists and is writable\n`);
    expect(limited.status).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe(old);
    expect(readdirSync(folder)).toStrictEqual(['topology.svg']);

    // A folder where the file should be: left as it was.
    const taken = join(folder, 'taken.svg');
    mkdirSync(join(taken, 'inside'), { recursive: true });
    const r = strata(ws.root, ['graph', '-e', 'dev', '--out', taken]);
    expect(r.stderr).toBe(`strata: --out ${taken}: cannot write it (EISDIR); name a file in a folder that exists and is writable\n`);
    expect(r.status).toBe(2);
    expect(readdirSync(taken)).toStrictEqual(['inside']);
    expect(readdirSync(folder).sort()).toStrictEqual(['taken.svg', 'topology.svg']);
  });

  it('kubeconform killed or answering garbage is a tool error, not an invalid input', () => {
    const k = strata(repo, ['validate', manifest], undefined, { STRATA_KUBECONFORM: killed });
    expect(k.stderr).toMatch(/^strata: kubeconform was killed by SIGKILL/m);
    expect(k.status).toBe(2);
    const g = strata(repo, ['validate', manifest], undefined, { STRATA_KUBECONFORM: garbage });
    expect(g.stderr).toMatch(/^strata: kubeconform exited with code 0: \{this is not what was asked for/m);
    expect(g.status).toBe(2);
    // The same file with the real kubeconform: judged, and valid.
    expect(strata(repo, ['validate', '--no-policy', manifest]).status).toBe(0);
  });

  it('kustomize or the builder killed, crashing or answering garbage, is a tool error in build, and nothing is written', () => {
    for (const [env, message] of [
      [{ STRATA_KUSTOMIZE: killed }, `kustomize build failed: ${killed} was killed by SIGKILL`],
      [{ STRATA_BUILDER: killed }, 'kustomize build failed: the kustomize builder stopped before building it: killed by SIGKILL'],
      [{ STRATA_BUILDER: garbage }, 'kustomize build failed: the kustomize builder stopped before building it: unreadable output line: {this is not'],
      [{ STRATA_KUSTOMIZE: garbage }, `kustomize build failed: ${garbage} exited 0 but its output is not YAML (`],
      [
        { STRATA_KUSTOMIZE: prose },
        `kustomize build failed: ${prose} exited 0 but its output is not Kubernetes objects (document 1 has no apiVersion and kind)`,
      ],
      [
        { STRATA_KUSTOMIZE: panics },
        `kustomize build failed: ${panics} crashed (exit code 2): panic: runtime error: invalid memory address or nil pointer dereference`,
      ],
    ] as const) {
      rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
      const r = strata(ws.root, ['build', '--app', APP, '--env', 'dev'], undefined, env);
      expect(r.stderr).toContain(`overlays/dev/${APP}: ${message}`);
      expect(r.stderr).toMatch(/^strata: kustomize failed on 1 of 1 overlays without judging them/m);
      expect(r.status).toBe(2);
      expect(existsSync(join(ws.root, 'dist/dev', `${APP}.yaml`))).toBe(false);
    }
    // An overlay that kustomize judges broken is invalid input: exit 1.
    const kustomization = join(ws.root, 'overlays/dev', APP, 'kustomization.yaml');
    const original = readFileSync(kustomization, 'utf8');
    writeFileSync(kustomization, 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- no-such-file.yaml\n');
    try {
      const r = strata(ws.root, ['build', '--app', APP, '--env', 'dev']);
      expect(r.stderr).toMatch(/kustomize build failed/);
      expect(r.stderr).not.toMatch(/^strata: /m);
      expect(r.status).toBe(1);
    } finally {
      writeFileSync(kustomization, original);
    }
  });

  it('kustomize killed during check is a tool error', () => {
    const r = strata(ws.root, ['check', '--app', APP, '--env', 'dev'], undefined, { STRATA_KUSTOMIZE: killed });
    expect(r.stderr).toContain(`overlays/dev/${APP}: kustomize build failed: ${killed} was killed by SIGKILL`);
    expect(r.stderr).toMatch(/^strata: kustomize failed on \d+ of \d+ overlays without judging them/m);
    expect(r.status).toBe(2);
  });

  // What stands where dist/ goes is the workspace's content, as a file where a generated folder goes
  // and a link in dist/ are (exit 1); a dist/ the machine does not let strata write is exit 2 (see
  // read-only-checkout.test.ts).
  it('a file where dist/ goes is refused in one line naming it, exit 1, as a file where a generated folder goes', () => {
    const dist = join(ws.root, 'dist');
    rmSync(dist, { recursive: true, force: true });
    writeFileSync(dist, 'a file where the folder should be\n');
    try {
      const r = strata(ws.root, ['pipeline', '--no-cache']);
      expect(r.stderr).toMatch(
        /^strata: cannot write dist\/: dist: is a file, where build writes a folder of built output; it must be a folder: remove it, then run again$/m,
      );
      expect(r.status).toBe(1);
    } finally {
      rmSync(dist, { force: true });
    }
  });

  it("kubectl's decoder killed, crashing or answering garbage is a tool error in validate and in the pipeline", () => {
    for (const [decoder, said] of [
      [killed, 'strata-decode was killed by SIGKILL'],
      [panics, 'strata-decode failed (exit 2): panic: runtime error: invalid memory address or nil pointer dereference'],
      [garbage, 'strata-decode answered with something unreadable: {this is not what was asked for'],
    ] as const) {
      for (const [root, args] of [
        [repo, ['validate', '--no-policy', manifest]],
        [ws.root, ['pipeline', '--no-cache']],
      ] as const) {
        const r = strata(root, [...args], undefined, { STRATA_DECODE: decoder });
        expect(r.stderr, `${args[0]} ${decoder}`).toContain(`strata: ${said}`);
        expect(r.status, `${args[0]} ${decoder}: ${r.stderr}`).toBe(2);
      }
    }
  });

  it('the builder killed during a pipeline is a tool error', () => {
    const r = strata(ws.root, ['pipeline', '--no-cache'], undefined, { STRATA_BUILDER: killed });
    expect(r.stderr).toMatch(/^strata: kustomize failed on 3 of 3 overlays without judging them/m);
    expect(r.status).toBe(2);
  });

  /**
   * Loaded by Node before the CLI's script (NODE_OPTIONS): the file writer thread, the one thread
   * strata starts from code of its own (eval), runs `crash` before that code. syncBuiltinESMExports
   * hands the wrapper to the bundle's named import, as in scratch.test.ts.
   */
  const crashingWriter = (crash: string) => `import workers from 'node:worker_threads';
import { syncBuiltinESMExports } from 'node:module';
const { Worker } = workers;
workers.Worker = class extends Worker {
  constructor(code, options) {
    super(options?.eval ? ${JSON.stringify(crash)} + code : code, options);
  }
};
syncBuiltinESMExports();`;

  it.each([
    [
      'ends in the middle of a write (its temporary file written, not yet renamed)',
      "const fs = process.getBuiltinModule('node:fs'); fs.renameSync = () => process.exit(70); process.getBuiltinModule('node:module').syncBuiltinESMExports();\n",
      'the file writer thread ended unexpectedly (exit 70)',
    ],
    ['throws before its first write', "throw new Error('out of memory');\n", 'the file writer thread crashed (out of memory)'],
    ['throws a value that is no Error', "throw 'disk gone';\n", 'the file writer thread crashed (disk gone)'],
  ])('a file writer thread that %s is a tool error of the pipeline: one line, exit 2, and no file of the tree or dist/ changed', (_what, crash, said) => {
    rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
    expect(strata(ws.root, ['build']).status).toBe(0);
    // What an earlier run built, told apart from this run's build: a write that went through shows.
    for (const env of ['dev', 'staging', 'prod']) writeFileSync(join(ws.root, 'dist', env, `${APP}.yaml`), `# built by an earlier run (${env})\n`);
    const tops = ['base', 'overlays', 'gitops', 'dist'];
    const before = treeOf(ws.root, tops);
    const r = strata(ws.root, ['pipeline', '--no-cache'], undefined, {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=data:text/javascript,${encodeURIComponent(crashingWriter(crash))}`.trim(),
    });
    // The builds' progress, then the one line.
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => !/^build \[\d\/3\] overlays\/\w+\/[\w-]+ ok \(\d+ms\)$/.test(l))).toStrictEqual([
      `strata: cannot write dist/: ${said}: the files it had not written were left as they were, none half written; run the command again`,
    ]);
    expect(r.status).toBe(2);
    // Nothing lost, nothing half written, and no temporary file left beside the built files.
    expect(treeOf(ws.root, tops)).toStrictEqual(before);
  });
});

// A bug in strata cannot be produced on demand through the CLI once it is fixed, so the errors the
// language raises for one are handed to the classification itself.
describe('an error of strata itself', () => {
  it.each([
    ['a field of undefined read', () => (undefined as unknown as { replace: () => void }).replace()],
    ['a name that does not exist', () => new Function('return notDefinedAnywhere')()],
    ['an array length out of range', () => new Array(-1)],
  ])('(%s) exits 2, not 1, and says it is a bug', (_what, fault) => {
    let thrown: unknown;
    try {
      fault();
    } catch (e) {
      thrown = e;
    }
    expect(exitCodeFor(thrown)).toBe(EXIT.usage);
    const lines = errorLines(thrown);
    expect(lines[0]).toMatch(/^internal error: /);
    expect(lines[1]).toMatch(/bug in strata/);
  });

  it('leaves an invalid input at exit 1 and its lines as they are', () => {
    const e = new Error('apps/web/src/env/dev.ts:3: replicas: misspelt\napps/api/src/env/prod.ts:4: image: misspelt');
    expect(exitCodeFor(e)).toBe(EXIT.invalid);
    expect(errorLines(e)).toStrictEqual(e.message.split('\n'));
    expect(exitCodeFor(new SyntaxError('Unexpected token } in JSON at position 3'))).toBe(EXIT.invalid);
  });
});
