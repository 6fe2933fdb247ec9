// `npm run bench`: how long generate + build + validate take for 50, 200 and 500 synthetic apps in
// three envs, next to two floors that only run the tools (kustomize one process per overlay, and
// the long-lived builder), on a throw-away workspace in the OS temp folder. Writes the table and
// the machine to docs/performance.md.
//
//   npm run bench                      # N = 50, 200, 500, three runs each (under 10 minutes on 2 cores)
//   npm run bench -- --sizes 50,200 --runs 1 --no-write
//   npm run bench -- --workspace 500     # only create a workspace with 500 apps, to profile by hand
//
// Every measurement runs in a fresh child process under /usr/bin/time, so the pipeline pays its
// real Node and module-loading start, and peak RSS is the largest process of that run.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { syntheticApp } from './bench-app.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);
const ENVS = ['dev', 'staging', 'prod'] as const;
const KINDS_PER_APP = 8;

// ---------------------------------------------------------------------------------------------
// Child side: one measured step, its own timings as one JSON line on stdout.

type StepName = 'pipeline' | 'floor-a' | 'floor-b';

interface StepReport {
  /** Seconds of the step's own work, without the Node start. */
  readonly work: number;
  readonly phases: Record<string, number>;
  readonly resources: number;
  readonly failed: number;
}

const since = (t: number) => (performance.now() - t) / 1000;

async function runStep(step: StepName, root: string, app?: string): Promise<StepReport> {
  const { generate, build, validate } = await import('../packages/cli/src/index.ts');
  const { buildOverlays } = await import('../packages/kustomize/src/index.ts');
  const { validateWithKubeconform } = await import('../packages/kubeconform-wrapper/src/index.ts');
  const t0 = performance.now();
  if (step === 'pipeline') {
    const selection = app ? { apps: [app] } : {};
    await generate(root, selection);
    const tGenerate = since(t0);
    const built = await build(root, selection);
    const tBuild = since(t0);
    // Everything under dist/, also for one changed app: what a root validate task does after it.
    const validated = await validate(root, ['dist']);
    const work = since(t0);
    if (built.failed > 0) throw new Error(`${built.failed} overlays failed to build: ${built.results.find((r) => !r.ok)?.error}`);
    // Problems are counted, not fatal: rules added later may flag the synthetic apps, and the
    // validation work is the same either way.
    const problems = validated.problems.filter((p) => p.severity === 'error');
    if (problems[0]) process.stderr.write(`bench: ${problems.length} problems, the first: ${problems[0].file}: ${problems[0].message}\n`);
    return { work, phases: { generate: tGenerate, build: tBuild - tGenerate, validate: work - tBuild }, resources: validated.resources, failed: problems.length };
  }
  const overlays = ENVS.flatMap((env) => readdirSync(join(root, 'overlays', env), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `overlays/${env}/${d.name}`));
  const out = join(root, '.bench', step);
  rmSync(out, { recursive: true, force: true });
  // Floor A is what CI scripts, Argo CD and Flux do: one kustomize process per overlay, two at a time.
  const results = await buildOverlays(root, overlays, step === 'floor-a' ? { engine: 'kustomize', concurrency: 2 } : { engine: 'builder' });
  for (const r of results) {
    mkdirSync(join(out, dirname(r.overlay)), { recursive: true });
    writeFileSync(join(out, `${r.overlay}.yaml`), r.yaml);
  }
  const tBuild = since(t0);
  const verdicts = await validateWithKubeconform({ paths: [out] }, { root });
  const work = since(t0);
  const failed = results.filter((r) => !r.ok).length + verdicts.filter((v) => v.status !== 'valid').length;
  return { work, phases: { build: tBuild, kubeconform: work - tBuild }, resources: verdicts.length, failed };
}

// ---------------------------------------------------------------------------------------------
// Parent side: workspaces, runs, medians, the report.

interface Measure {
  readonly seconds: number;
  readonly work: number;
  readonly rssMiB: number | undefined;
  readonly report: StepReport;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const tsxLoader = pathToFileURL(createRequire(join(repo, 'packages/cli/bin/strata.mjs')).resolve('tsx')).href;

function measure(root: string, step: StepName, options: { app?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Measure> {
  const rssFile = join(root, '.bench', `rss-${process.pid}`);
  mkdirSync(dirname(rssFile), { recursive: true });
  const node = [process.execPath, '--import', tsxLoader, self, '--step', step, root, ...(options.app ? [options.app] : [])];
  const [cmd, ...args] = TIME ? [TIME, '-f', '%M', '-o', rssFile, ...node] : node;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => {
      const seconds = since(started);
      if (code !== 0) return reject(new Error(`${step} in ${root} failed (exit ${code}):\n${stderr.trim() || stdout.trim()}`));
      const report = JSON.parse(stdout.trim().split('\n').pop()!) as StepReport;
      const kib = TIME && existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : NaN;
      resolve({ seconds, work: report.work, rssMiB: Number.isFinite(kib) ? kib / 1024 : undefined, report });
    });
  });
}

/** A workspace with `n` apps, linked to this repo's packages, node_modules and tools. */
function workspace(n: number): { root: string; apps: string[] } {
  const root = mkdtempSync(join(tmpdir(), `strata-bench-${n}-`));
  for (const f of ['package.json', 'pnpm-workspace.yaml', 'tsconfig.base.json', 'strata.config.json']) {
    if (existsSync(join(repo, f))) cpSync(join(repo, f), join(root, f));
  }
  for (const d of ['node_modules', '.tools', 'packages']) symlinkSync(join(repo, d), join(root, d));
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
  symlinkSync(join(repo, 'packages', 'core'), join(modules, '@strata', 'core'));
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
  return { root, apps };
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
  const files = readdirSync(a, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(a.length + 1));
  const different = files.filter((f) => !existsSync(join(b, f)) || readFileSync(join(a, f), 'utf8') !== readFileSync(join(b, f), 'utf8'));
  return { compared: files.length, different };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const ROWS = ['cold', 'warm', 'one app changed', 'floor A', 'floor B'] as const;
type Row = (typeof ROWS)[number];

interface SizeResult {
  readonly n: number;
  readonly overlays: number;
  readonly resources: number;
  readonly rows: Record<Row, Measure[]>;
  readonly compared: number;
  readonly different: string[];
}

async function benchSize(n: number, runs: number, log: (s: string) => void): Promise<SizeResult> {
  const t = performance.now();
  const { root, apps } = workspace(n);
  log(`N=${n}: workspace with ${n} apps at ${root} (${since(t).toFixed(1)}s)`);
  const rows = Object.fromEntries(ROWS.map((r) => [r, [] as Measure[]])) as Record<Row, Measure[]>;
  let floors = { compared: 0, different: [] as string[] };
  try {
    for (let run = 0; run < runs; run++) {
      // Cold: no generated tree, no dist, and an empty module-transform cache (tsx keeps it in TMPDIR).
      for (const d of ['base', 'overlays', 'dist', '.bench/tmp']) rmSync(join(root, d), { recursive: true, force: true });
      mkdirSync(join(root, '.bench', 'tmp'), { recursive: true });
      const note = (row: Row, m: Measure) => {
        rows[row].push(m);
        const phases = Object.entries(m.report.phases).map(([k, v]) => `${k} ${v.toFixed(2)}s`).join(', ');
        log(`N=${n} run ${run + 1}/${runs}: ${row.padEnd(15)} ${m.seconds.toFixed(2)}s (${phases}; ${m.rssMiB?.toFixed(0) ?? '?'} MiB)`);
      };
      note('cold', await measure(root, 'pipeline', { env: { TMPDIR: join(root, '.bench', 'tmp') } }));
      note('warm', await measure(root, 'pipeline'));
      changeOneApp(root, apps[Math.floor(n / 2)]!, run);
      note('one app changed', await measure(root, 'pipeline', { app: apps[Math.floor(n / 2)]! }));
      // Floor A is one process start per overlay (69 s for 500 apps on 2 cores) and varies little
      // between runs; above 50 apps it runs once so that the whole bench stays under 10 minutes.
      if (run === 0 || n <= 50) note('floor A', await measure(root, 'floor-a'));
      note('floor B', await measure(root, 'floor-b'));
      if (run === 0) {
        floors = compareFloors(root);
        log(`N=${n}: builder output equals kustomize build on ${floors.compared - floors.different.length} of ${floors.compared} overlays`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return { n, overlays: n * ENVS.length, resources: rows.cold[0]!.report.resources, rows, ...floors };
}

function moduleVersion(bin: string, module: string): string {
  const info = spawnSync('go', ['version', '-m', bin], { encoding: 'utf8' }).stdout ?? '';
  return info.split('\n').find((l) => l.trim().startsWith('mod\t') && l.includes(module))?.trim().split('\t')[2] ?? 'unknown';
}

function machine(): string[] {
  const tool = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout?.trim().split('\n')[0] ?? 'not found';
  return [
    `- CPU: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores available (nproc)`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, ${tool('go', ['version']) || 'Go not found'}`,
    // kubeconform built with `go install` reports "development" for -v; its module version is exact.
    `- kustomize ${tool(join(repo, '.tools/bin/kustomize'), ['version'])}, kubeconform ${moduleVersion(join(repo, '.tools/bin/kubeconform'), 'github.com/yannh/kubeconform')}`,
  ];
}

function table(results: readonly SizeResult[]): string[] {
  const lines = [
    '| apps | overlays | resources | run | runs | median s | min–max s | resources/s | peak RSS MiB | cold ÷ this |',
    '| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const cold = median(r.rows.cold.map((m) => m.seconds));
    for (const row of ROWS) {
      const ms = r.rows[row];
      // The pipeline rows are wall time with the Node start; the floors count only the tools' work.
      const secs = ms.map((m) => (row.startsWith('floor') ? m.work : m.seconds));
      if (secs.length === 0) continue;
      const s = median(secs);
      const rss = ms.map((m) => m.rssMiB ?? NaN).filter(Number.isFinite);
      lines.push(
        `| ${r.n} | ${r.overlays} | ${r.resources} | ${row} | ${secs.length} | ${s.toFixed(2)} | ${Math.min(...secs).toFixed(2)}–${Math.max(...secs).toFixed(2)} | ` +
          `${row === 'one app changed' ? '–' : Math.round(r.resources / s)} | ${rss.length ? Math.max(...rss).toFixed(0) : '?'} | ` +
          `${row.startsWith('floor') ? `${(cold / s).toFixed(2)}x` : '–'} |`,
      );
    }
  }
  return lines;
}

function phases(results: readonly SizeResult[]): string[] {
  const lines = ['| apps | generate s | build s | validate s | Node start and module loading s |', '| ---: | ---: | ---: | ---: | ---: |'];
  for (const r of results) {
    const p = (k: string) => median(r.rows.cold.map((m) => m.report.phases[k] ?? 0));
    const start = median(r.rows.cold.map((m) => m.seconds - m.work));
    lines.push(`| ${r.n} | ${p('generate').toFixed(2)} | ${p('build').toFixed(2)} | ${p('validate').toFixed(2)} | ${start.toFixed(2)} |`);
  }
  return lines;
}

async function main(argv: readonly string[]): Promise<void> {
  const step = argv.indexOf('--step');
  const only = argv.indexOf('--workspace');
  if (only >= 0) {
    // A workspace to profile by hand; it stays until you delete it.
    const n = Number(argv[only + 1]);
    if (!Number.isInteger(n) || n < 1) {
      console.error('usage: bench --workspace N');
      process.exit(2);
    }
    console.log(workspace(n).root);
    return;
  }
  if (step >= 0) {
    const report = await runStep(argv[step + 1] as StepName, argv[step + 2]!, argv[step + 3]);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const flag = (name: string, fallback: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
  };
  const sizes = flag('--sizes', '50,200,500').split(',').map(Number);
  const runs = Number(flag('--runs', '3'));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(runs) || runs < 1) {
    console.error('usage: bench [--sizes 50,200,500] [--runs 3] [--no-write]');
    process.exit(2);
  }
  if (!existsSync(join(repo, '.tools/bin/strata-kustomize-builder'))) {
    console.error('bench: .tools/bin/strata-kustomize-builder is missing; run `npm run setup` with Go installed');
    process.exit(2);
  }
  const started = performance.now();
  const log = (s: string) => console.log(`bench: ${s}`);
  const results: SizeResult[] = [];
  for (const n of sizes) results.push(await benchSize(n, runs, log));
  const total = since(started);

  const out = [
    ...table(results),
    '',
    'Cold pipeline by phase (medians):',
    '',
    ...phases(results),
    '',
    ...results.map((r) =>
      r.different.length === 0
        ? `- N=${r.n}: the builder's output equals \`kustomize build\` byte for byte on all ${r.compared} overlays.`
        : `- N=${r.n}: the builder's output DIFFERS from \`kustomize build\` on ${r.different.length} of ${r.compared} overlays: ${r.different.slice(0, 5).join(', ')}`,
    ),
  ];
  console.log(`\n${out.join('\n')}\n\nbench: done in ${total.toFixed(0)}s`);
  if (argv.includes('--no-write')) return;
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
