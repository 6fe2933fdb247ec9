// `npm run bench`: how long the pipeline takes for 50, 200 and 500 synthetic apps in three envs,
// through turbo as `npm run build` runs it and as `strata pipeline` alone, next to two floors that
// only run the tools (kustomize one process per overlay, and the long-lived builder); `strata check`
// right after a pipeline and on its own; the whole CI gate as .ci/run runs it, `strata ci` with
// CI=true on a fresh clone (a frozen cold pipeline, then what it built dry-run applied on an API
// server started meanwhile), and `strata verify` of what it built, when the API server binaries are
// installed; and, on 50 apps, Strata's generate next to cdk8s and Kosko. Every workspace is a
// throw-away git repository in the OS temp folder. Writes the table and the machine to docs/performance.md.
//
//   npm run bench                      # N = 50, 200, 500, three runs each (under 10 minutes on 2 cores)
//   npm run bench -- --sizes 50,200 --runs 1 --no-write
//   npm run bench -- --no-peers        # without cdk8s and Kosko (they install with npm on first use)
//   npm run bench -- --workspace 500   # only create a workspace with 500 apps, to profile by hand
//   npm run bench -- --help            # the usage line; an unknown option or a bad number is refused before any work
//
// Every measurement is a whole command in a fresh process under /usr/bin/time: the pipeline pays its
// real Node start and module loading, and peak RSS is the largest process of that command.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, homedir, tmpdir, totalmem } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { syntheticApp } from './bench-app.ts';
import { benchPeers, type PeerTiming } from './bench-peers.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENVS = ['dev', 'staging', 'prod'] as const;

const since = (t: number) => (performance.now() - t) / 1000;

// ---------------------------------------------------------------------------------------------
// Child side: a floor, the tools alone, timed inside its own process.

interface FloorReport {
  /** Seconds of the tools' work, without the Node start. */
  readonly work: number;
  /** CPU seconds (user and system) of that work: this process's and the tools' it waited for. */
  readonly cpu: number;
  readonly resources: number;
  readonly failed: number;
}

async function runFloor(step: 'floor-a' | 'floor-b', root: string): Promise<FloorReport> {
  const { buildOverlays } = await import('../packages/kustomize/src/index.ts');
  const { validateWithKubeconform } = await import('../packages/kubeconform-wrapper/src/index.ts');
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  const overlays = ENVS.flatMap((env) =>
    readdirSync(join(root, 'overlays', env), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `overlays/${env}/${d.name}`),
  );
  const out = join(root, '.bench', step);
  rmSync(out, { recursive: true, force: true });
  // Floor A is what CI scripts, Argo CD and Flux do: one kustomize process per overlay, two at a time.
  const results = await buildOverlays(root, overlays, step === 'floor-a' ? { engine: 'kustomize', concurrency: 2 } : { engine: 'builder' });
  for (const r of results) {
    mkdirSync(join(out, dirname(r.overlay)), { recursive: true });
    writeFileSync(join(out, `${r.overlay}.yaml`), r.yaml);
  }
  const verdicts = await validateWithKubeconform({ paths: [out] }, { root });
  const failed = results.filter((r) => !r.ok).length + verdicts.filter((v) => v.status !== 'valid').length;
  return { work: since(t0), cpu: cpuSeconds() - cpu0, resources: verdicts.length, failed };
}

/**
 * CPU seconds, user and system, of this process and of the child processes it has waited for
 * (fields 14 to 17 of /proc/self/stat); NaN where there is no /proc.
 */
function cpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const ticks = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(11, 15)
      .reduce((sum, f) => sum + Number(f), 0);
    return ticks / clockTicks();
  } catch {
    return NaN;
  }
}

let ticksPerSecond: number | undefined;
const clockTicks = () => (ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100);

// ---------------------------------------------------------------------------------------------
// Parent side: workspaces, commands, medians, the report.

interface Measure {
  /** Wall time of the whole command, or the tools' own work for a floor. */
  readonly seconds: number;
  readonly rssMiB: number | undefined;
  /** CPU seconds, user and system, of the command and every process it waited for. */
  readonly cpu: number;
  readonly stdout: string;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const tsx = join(repo, 'node_modules', '.bin', 'tsx');
const strataBin = join(repo, 'packages', 'cli', 'bin', 'strata.mjs');
// turbo runs the root task through pnpm, which setup installs here.
const PATH = [join(repo, '.tools', 'pnpm', 'node_modules', '.bin'), join(repo, 'node_modules', '.bin'), process.env.PATH].join(delimiter);

/** Runs one command in the workspace under /usr/bin/time; rejects with its output when it fails. */
function run(root: string, command: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Measure> {
  const rssFile = join(root, '.bench', `rss-${process.pid}`);
  mkdirSync(dirname(rssFile), { recursive: true });
  const [cmd, ...args] = TIME ? [TIME, '-f', '%M %U %S', '-o', rssFile, ...command] : command;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // CI only where a row asks for it: it makes the pipeline frozen and every file compared by content.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI'));
    const child = spawn(cmd!, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...inherited, PATH, TURBO_TELEMETRY_DISABLED: '1', FORCE_COLOR: '0', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', (e) => reject(new Error(`cannot run ${command[0]}: ${e.message}`)));
    child.on('close', (code) => {
      const seconds = since(started);
      if (code !== 0)
        return reject(new Error(`${command.join(' ')} in ${root} failed (exit ${code}):\n${(stderr.trim() || stdout.trim()).slice(-3000)}`));
      const [kib, user, system] = (TIME && existsSync(rssFile) ? readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(' ') : []).map(Number);
      resolve({ seconds, rssMiB: Number.isFinite(kib) ? kib! / 1024 : undefined, cpu: (user ?? NaN) + (system ?? NaN), stdout });
    });
  });
}

// The tasks `npm run build` runs (scripts/build.mjs): in CI the frozen one, which turbo caches; by
// hand the one that may rewrite the tree, which turbo never caches.
const turboCi = (root: string, env?: NodeJS.ProcessEnv) =>
  run(root, ['turbo', 'run', 'pipeline:frozen', '--output-logs=new-only'], { CI: 'true', ...env });
const turboByHand = (root: string) => run(root, ['turbo', 'run', 'pipeline', '--output-logs=new-only']);
const strata = (root: string, args: readonly string[], env?: NodeJS.ProcessEnv) => run(root, [process.execPath, strataBin, ...args], env);
async function floor(root: string, step: 'floor-a' | 'floor-b'): Promise<Measure & { report: FloorReport }> {
  const m = await run(root, [tsx, fileURLToPath(import.meta.url), '--step', step, root]);
  const report = JSON.parse(m.stdout.trim().split('\n').pop()!) as FloorReport;
  if (report.failed > 0) throw new Error(`${step}: ${report.failed} overlays or resources failed`);
  return { ...m, seconds: report.work, cpu: report.cpu, report };
}

const git = (root: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
};

/**
 * A git repository with `n` apps, shaped like this one: its own copy of packages/ (turbo refuses
 * packages that resolve outside the repository), node_modules and .tools linked to this repo's, and
 * the generated tree committed.
 */
async function workspace(n: number): Promise<{ root: string; apps: string[] }> {
  const root = mkdtempSync(join(tmpdir(), `strata-bench-${n}-`));
  for (const f of ['pnpm-workspace.yaml', 'tsconfig.base.json', 'strata.config.json', 'turbo.json', '.gitattributes'])
    cpSync(join(repo, f), join(root, f));
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(
    join(root, 'package.json'),
    `${JSON.stringify({ name: 'strata-bench', private: true, type: 'module', packageManager: pkg.packageManager, scripts: { pipeline: 'strata pipeline', 'pipeline:frozen': 'strata pipeline --frozen' } }, null, 2)}\n`,
  );
  writeFileSync(join(root, '.gitignore'), 'node_modules/\n.tools\n.turbo/\n.strata/\n.bench/\ndist/\n');
  for (const d of ['node_modules', '.tools']) symlinkSync(join(repo, d), join(root, d));
  cpSync(join(repo, 'packages'), join(root, 'packages'), { recursive: true, verbatimSymlinks: true, filter: (src) => !src.includes('/.turbo') });
  // The apps share 20 team namespaces, whose default-deny NetworkPolicy the platform team owns
  // outside the apps, as it would in a real cluster: the rule that asks each app for one is off.
  const config = JSON.parse(readFileSync(join(root, 'strata.config.json'), 'utf8')) as { policy?: { severity?: Record<string, unknown> } };
  const off = { dev: 'off', staging: 'off', prod: 'off' };
  config.policy = { ...config.policy, severity: { ...config.policy?.severity, 'default-deny-network-policy': off } };
  writeFileSync(join(root, 'strata.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  // One shared node_modules for the apps (Node looks in apps/node_modules from apps/<app>/src),
  // pointing where pnpm would link each app's dependencies.
  const modules = join(root, 'apps', 'node_modules');
  mkdirSync(join(modules, '@strata'), { recursive: true });
  mkdirSync(join(modules, '@kubernetes-models'), { recursive: true });
  symlinkSync(join(root, 'packages', 'core'), join(modules, '@strata', 'core'));
  const store = join(repo, 'node_modules', '.pnpm', 'node_modules');
  symlinkSync(join(store, 'kubernetes-models'), join(modules, 'kubernetes-models'));
  symlinkSync(join(store, '@kubernetes-models', 'prometheus-operator'), join(modules, '@kubernetes-models', 'prometheus-operator'));
  const apps = Array.from({ length: n }, (_, i) => `bench-app-${String(i).padStart(4, '0')}`);
  apps.forEach((name, i) => {
    for (const [rel, content] of Object.entries(syntheticApp(name, i))) {
      mkdirSync(join(root, 'apps', name, dirname(rel)), { recursive: true });
      writeFileSync(join(root, 'apps', name, rel), content);
    }
  });
  await strata(root, ['generate']);
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'apps and their generated tree');
  return { root, apps };
}

/** Whether `strata verify` would find its API server binaries, rather than spend minutes building them. */
function serversInstalled(): boolean {
  const dir = process.env.STRATA_SERVER_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'strata', 'servers');
  const names = existsSync(dir) ? readdirSync(dir) : [];
  return names.some((n) => n.startsWith('kube-apiserver-')) && names.some((n) => n.startsWith('etcd-'));
}

/** A real one-app change: the prod replica count, different on every run. */
function changeOneApp(root: string, app: string, run: number): void {
  const file = join(root, 'apps', app, 'src', 'env', 'prod.ts');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/replicas: \d+/, `replicas: ${4 + run}`));
}

/** Every floor output file equal between kustomize and the builder. */
function compareFloors(root: string): { compared: number; different: string[] } {
  const a = join(root, '.bench', 'floor-a');
  const b = join(root, '.bench', 'floor-b');
  const files = readdirSync(a, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(a.length + 1));
  const different = files.filter((f) => !existsSync(join(b, f)) || readFileSync(join(a, f), 'utf8') !== readFileSync(join(b, f), 'utf8'));
  return { compared: files.length, different };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const ROWS = [
  'cold, turbo',
  'warm, turbo',
  'one app changed, turbo',
  'cold, strata pipeline',
  'no change, strata pipeline',
  'one app changed, strata pipeline',
  'check after the pipeline',
  'check alone, no cache',
  'verify after the pipeline',
  'gate (CI): strata ci',
  'floor A',
  'floor B',
] as const;
type Row = (typeof ROWS)[number];

interface SizeResult {
  readonly n: number;
  readonly overlays: number;
  readonly resources: number;
  readonly rows: Record<Row, Measure[]>;
  /** Seconds of the cold `strata pipeline` runs, per phase, from its own report. */
  readonly phases: { generate: number; build: number; total: number }[];
  readonly compared: number;
  readonly different: string[];
  /** `strata generate` with no generated tree, as the peers are timed (50 apps only). */
  readonly generate: Measure[];
}

/** The phase times `strata pipeline` prints. */
function phasesOf(stdout: string): { generate: number; build: number; total: number } {
  const secs = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
  return { generate: secs(/^generate: .*\(([\d.]+)s\)$/m), build: secs(/^build: .*\(([\d.]+)s\)$/m), total: secs(/^pipeline: .*\(([\d.]+)s\)$/m) };
}

async function benchSize(n: number, runs: number, withGenerate: boolean, log: (s: string) => void): Promise<SizeResult> {
  const t = performance.now();
  const { root, apps } = await workspace(n);
  log(`N=${n}: workspace with ${n} apps, generated and committed, at ${root} (${since(t).toFixed(1)}s)`);
  const rows = Object.fromEntries(ROWS.map((r) => [r, [] as Measure[]])) as Record<Row, Measure[]>;
  const phases: SizeResult['phases'] = [];
  const generate: Measure[] = [];
  let floors = { compared: 0, different: [] as string[] };
  let resources = 0;
  // tsx keeps its transform cache in TMPDIR: an empty folder is a cold cache.
  const coldTmp = (label: string) => {
    const dir = join(root, '.bench', `tmp-${label}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return { TMPDIR: dir };
  };
  // A fresh clone: the committed tree, and no dist/, no caches of turbo or Strata.
  const fresh = () => {
    for (const d of ['dist', '.strata', '.turbo']) rmSync(join(root, d), { recursive: true, force: true });
  };
  try {
    for (let run = 0; run < runs; run++) {
      const note = (row: Row, m: Measure) => {
        rows[row].push(m);
        log(`N=${n} run ${run + 1}/${runs}: ${row.padEnd(32)} ${m.seconds.toFixed(2)}s (${m.rssMiB?.toFixed(0) ?? '?'} MiB)`);
      };
      const changed = apps[Math.floor(n / 2)]!;
      fresh();
      note('cold, turbo', await turboCi(root, coldTmp(`turbo-${run}`)));
      note('warm, turbo', await turboCi(root));
      changeOneApp(root, changed, 2 * run);
      note('one app changed, turbo', await turboByHand(root));
      fresh();
      const cold = await strata(root, ['pipeline'], coldTmp(`pipeline-${run}`));
      note('cold, strata pipeline', cold);
      phases.push(phasesOf(cold.stdout));
      resources = Number(/No problems in (\d+) resources/.exec(cold.stdout)?.[1] ?? /of (\d+) resources/.exec(cold.stdout)?.[1] ?? 0);
      note('no change, strata pipeline', await strata(root, ['pipeline']));
      changeOneApp(root, changed, 2 * run + 1);
      const one = await strata(root, ['pipeline']);
      // The row means one app redone: anything else would time a different thing.
      if (!one.stdout.includes(`${n - 1} of ${n} apps unchanged since the last run, reused`))
        throw new Error(`one app changed: expected ${n - 1} of ${n} apps reused:\n${one.stdout.slice(-2000)}`);
      note('one app changed, strata pipeline', one);
      note('check after the pipeline', await strata(root, ['check']));
      rmSync(join(root, '.strata'), { recursive: true, force: true });
      note('check alone, no cache', await strata(root, ['check']));
      // The gate as CI runs it, from a fresh clone: above 50 apps once, like floor A.
      if (run === 0 || n <= 50) {
        if (serversInstalled()) {
          fresh();
          const ci = { CI: 'true' };
          // As .ci/run runs it: one process, the pipeline frozen, then what it built dry-run applied.
          note('gate (CI): strata ci', await strata(root, ['ci'], { ...ci, ...coldTmp(`gate-${run}`) }));
          // verify on its own, of the dist/ the gate's pipeline wrote.
          note('verify after the pipeline', await strata(root, ['verify'], ci));
        } else log(`N=${n} run ${run + 1}/${runs}: gate and verify left out: the API server binaries are not installed`);
      }
      // Floor A is one process start per overlay (about 90 s for 500 apps on 2 cores) and varies
      // little between runs; above 50 apps it runs once so that the whole bench stays under 10 minutes.
      if (run === 0 || n <= 50) note('floor A', await floor(root, 'floor-a'));
      note('floor B', await floor(root, 'floor-b'));
      if (run === 0) {
        floors = compareFloors(root);
        log(`N=${n}: builder output equals kustomize build on ${floors.compared - floors.different.length} of ${floors.compared} overlays`);
      }
    }
    if (withGenerate) {
      // As the peers run: no generated tree yet, every env of every app written, Node start included.
      for (let run = 0; run < runs; run++) {
        for (const d of ['base', 'overlays', 'gitops']) rmSync(join(root, d), { recursive: true, force: true });
        const m = await strata(root, ['generate'], coldTmp(`generate-${run}`));
        generate.push(m);
        log(`N=${n} run ${run + 1}/${runs}: strata generate, no tree yet ${m.seconds.toFixed(2)}s (${m.rssMiB?.toFixed(0) ?? '?'} MiB)`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return { n, overlays: n * ENVS.length, resources, rows, phases, generate, ...floors };
}

function moduleVersion(bin: string, module: string): string {
  const info = spawnSync('go', ['version', '-m', bin], { encoding: 'utf8' }).stdout ?? '';
  return (
    info
      .split('\n')
      .find((l) => l.trim().startsWith('mod\t') && l.includes(module))
      ?.trim()
      .split('\t')[2] ?? 'unknown'
  );
}

function machine(): string[] {
  const tool = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PATH } })
      .stdout?.trim()
      .split('\n')[0] ?? 'not found';
  return [
    `- CPU: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores available (nproc)`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, ${tool('go', ['version']) || 'Go not found'}, turbo ${tool('turbo', ['--version'])}, pnpm ${tool('pnpm', ['--version'])}`,
    // The module version, exact whether or not the binary was linked with its version (`-v`).
    `- kustomize ${tool(join(repo, '.tools/bin/kustomize'), ['version'])}, kubeconform ${moduleVersion(join(repo, '.tools/bin/kubeconform'), 'github.com/yannh/kubeconform')}`,
  ];
}

const range = (xs: readonly number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

function table(results: readonly SizeResult[]): string[] {
  const lines = [
    '| apps | overlays | resources | run | runs | median s | min–max s | CPU s | resources/s | peak RSS MiB | ÷ floor B | floor A ÷ this |',
    '| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const floorB = median(r.rows['floor B'].map((m) => m.seconds));
    const floorA = median(r.rows['floor A'].map((m) => m.seconds));
    for (const row of ROWS) {
      const secs = r.rows[row].map((m) => m.seconds);
      if (secs.length === 0) continue;
      const s = median(secs);
      const rss = r.rows[row].map((m) => m.rssMiB ?? NaN).filter(Number.isFinite);
      const cpu = r.rows[row].map((m) => m.cpu).filter(Number.isFinite);
      const full = row.startsWith('cold') || row.startsWith('floor');
      lines.push(
        `| ${r.n} | ${r.overlays} | ${r.resources} | ${row} | ${secs.length} | ${s.toFixed(2)} | ${range(secs)} | ${cpu.length ? median(cpu).toFixed(1) : '?'} | ${full ? Math.round(r.resources / s) : '–'} | ` +
          `${rss.length ? Math.max(...rss).toFixed(0) : '?'} | ${row === 'floor B' ? '–' : `${(s / floorB).toFixed(2)}x`} | ${row === 'floor A' ? '–' : `${(floorA / s).toFixed(1)}x`} |`,
      );
    }
  }
  return lines;
}

/** The targets of the CI gate at scale (set for 500 apps), judged from this run's medians at its largest size. */
function targetTable(results: readonly SizeResult[]): string[] {
  const lines = ['| target (2 cores) | apps | measured | status |', '| --- | ---: | --- | --- |'];
  for (const r of results.filter((x) => x.n === Math.max(...results.map((y) => y.n)))) {
    const at = (row: Row) => (r.rows[row].length ? median(r.rows[row].map((m) => m.seconds)) : undefined);
    const judge = (name: string, measured: string, ok: boolean | undefined) =>
      lines.push(`| ${name} | ${r.n} | ${measured} | ${ok === undefined ? 'not measured' : ok ? 'met' : '**missed**'} |`);
    const cold = at('cold, strata pipeline')!;
    const floorB = at('floor B')!;
    judge(
      'cold pipeline at most 1.5x floor B',
      `${cold.toFixed(2)} s, ${(cold / floorB).toFixed(2)}x floor B (${floorB.toFixed(2)} s)`,
      cold <= 1.5 * floorB,
    );
    const gate = at('gate (CI): strata ci');
    judge('whole gate at most 30 s (`strata ci`)', gate === undefined ? '–' : `${gate.toFixed(2)} s`, gate === undefined ? undefined : gate <= 30);
    const after = at('check after the pipeline')!;
    judge('`check` after a pipeline under 1 s', `${after.toFixed(2)} s`, after < 1);
    const alone = at('check alone, no cache')!;
    judge('`check` alone no slower than a cold pipeline', `${alone.toFixed(2)} s against ${cold.toFixed(2)} s`, alone <= cold);
  }
  return lines;
}

function phaseTable(results: readonly SizeResult[]): string[] {
  const lines = [
    '| apps | generate s | build s (after generate) | validate and the rest s | Node start and module loading s |',
    '| ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const p = (k: 'generate' | 'build' | 'total') => median(r.phases.map((x) => x[k]));
    const wall = median(r.rows['cold, strata pipeline'].map((m) => m.seconds));
    lines.push(
      `| ${r.n} | ${p('generate').toFixed(2)} | ${p('build').toFixed(2)} | ${(p('total') - p('generate') - p('build')).toFixed(2)} | ${(wall - p('total')).toFixed(2)} |`,
    );
  }
  return lines;
}

function peerTable(n: number, generate: readonly Measure[], peers: readonly PeerTiming[]): string[] {
  const ours = median(generate.map((m) => m.seconds));
  const rss = (xs: readonly number[]) => (xs.length ? Math.max(...xs).toFixed(0) : '?');
  return [
    `| ${n} apps x 3 envs | runs | median s | min–max s | peak RSS MiB | Strata's generate ÷ this |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| \`strata generate\` | ${generate.length} | ${ours.toFixed(2)} | ${range(generate.map((m) => m.seconds))} | ${rss(generate.map((m) => m.rssMiB ?? NaN).filter(Number.isFinite))} | – |`,
    ...peers.map(
      (p) =>
        `| \`${p.peer === 'cdk8s' ? 'cdk8s synth' : 'kosko generate'}\` (${p.version}) | ${p.seconds.length} | ${median(p.seconds).toFixed(2)} | ${range(p.seconds)} | ` +
        `${p.peakRssMiB?.toFixed(0) ?? '?'} | ${(ours / median(p.seconds)).toFixed(2)}x |`,
    ),
  ];
}

const USAGE = 'usage: npm run bench -- [--sizes 50,200,500] [--runs 3] [--no-peers] [--no-write] | --workspace N';

const parse = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      sizes: { type: 'string', default: '50,200,500' },
      runs: { type: 'string', default: '3' },
      'no-peers': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      workspace: { type: 'string' },
      // Internal: a floor, run by the bench in a process of its own (`--step floor-b <root>`).
      step: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

/** The options, or a one-line usage error (exit 2) for an unknown option, a missing value or a bad number: a typo must not start a 20-minute run. */
function options(argv: readonly string[]) {
  let parsed: ReturnType<typeof parse>;
  const fail = (message: string): never => {
    console.error(`bench: ${message}; ${USAGE}`);
    process.exit(2);
  };
  try {
    parsed = parse(argv);
  } catch (e) {
    // Node's first sentence names the option and what is wrong ("Unknown option '--sizez'"); the
    // rest suggests how to write a value or an argument that starts with "-", which the usage shows.
    return fail((e instanceof Error ? e.message : String(e)).split(/\.(?:\s|$)/)[0]!);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.step !== undefined) {
    if (values.step !== 'floor-a' && values.step !== 'floor-b') fail(`--step ${values.step}: not floor-a or floor-b`);
    if (positionals.length !== 1) fail('--step needs the workspace folder after it');
  } else if (positionals.length > 0) fail(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const count = (name: string, text: string) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1) fail(`--${name} ${text || '""'}: not a whole number of at least 1`);
    return n;
  };
  return {
    step: values.step as 'floor-a' | 'floor-b' | undefined,
    root: positionals[0],
    workspace: values.workspace === undefined ? undefined : count('workspace', values.workspace),
    sizes: values.sizes.split(',').map((n) => count('sizes', n)),
    runs: count('runs', values.runs),
    withPeers: !values['no-peers'],
    write: !values['no-write'],
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const { step, root, workspace: only, sizes, runs, withPeers, write } = options(argv);
  if (step) {
    const report = await runFloor(step, root!);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  if (only !== undefined) {
    // A workspace to profile by hand; it stays until you delete it.
    console.log((await workspace(only)).root);
    return;
  }
  if (!existsSync(join(repo, '.tools/bin/strata-kustomize-builder'))) {
    console.error('bench: .tools/bin/strata-kustomize-builder is missing; run `npm run setup` with Go installed');
    process.exit(2);
  }
  const started = performance.now();
  const log = (s: string) => console.log(`bench: ${s}`);
  const peersAt = withPeers ? Math.min(...sizes) : undefined;
  const results: SizeResult[] = [];
  for (const n of sizes) results.push(await benchSize(n, runs, n === peersAt, log));
  const peers = peersAt === undefined ? [] : await benchPeers(peersAt, runs, log);
  const total = since(started);

  const smallest = results.find((r) => r.n === peersAt);
  const out = [
    ...table(results),
    '',
    'The targets of the CI gate at scale, set for 500 apps, judged from the medians above at the largest size:',
    '',
    ...targetTable(results),
    '',
    'Cold `strata pipeline` by phase (medians; generate includes loading the apps, build is what was left of the builds once every app was rendered):',
    '',
    ...phaseTable(results),
    '',
    ...results.map((r) =>
      r.different.length === 0
        ? `- N=${r.n}: the builder's output equals \`kustomize build\` byte for byte on all ${r.compared} overlays.`
        : `- N=${r.n}: the builder's output DIFFERS from \`kustomize build\` on ${r.different.length} of ${r.compared} overlays: ${r.different.slice(0, 5).join(', ')}`,
    ),
    ...(smallest && peers.length > 0
      ? [
          '',
          'Generate next to the peers, every env of every app written from scratch, cold caches:',
          '',
          ...peerTable(smallest.n, smallest.generate, peers),
        ]
      : []),
  ];
  console.log(`\n${out.join('\n')}\n\nbench: done in ${total.toFixed(0)}s`);
  if (!write) return;
  const doc = readFileSync(join(repo, 'docs', 'performance.md'), 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const measured = [
    begin,
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- --sizes ${sizes.join(',')} --runs ${runs}\` (${total.toFixed(0)} s in all) on:`,
    '',
    ...machine(),
    '',
    ...out,
    end,
  ].join('\n');
  const at = doc.indexOf(begin);
  const next = at >= 0 ? `${doc.slice(0, at)}${measured}${doc.slice(doc.indexOf(end) + end.length)}` : `${doc.trimEnd()}\n\n${measured}\n`;
  writeFileSync(join(repo, 'docs', 'performance.md'), next);
  log('wrote docs/performance.md');
}

await main(process.argv.slice(2));
