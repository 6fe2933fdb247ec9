// The peers of `npm run bench`: the same synthetic apps as scripts/bench-app.ts (eight kinds each,
// three envs that really differ) written the way cdk8s and Kosko users write them, and timed as a
// user runs them: `cdk8s synth` once, `kosko generate --env <env>` once per env, each a whole
// command with its Node start. Both emit every env of every app, as Strata's generate does.
//
//   node_modules/.bin/tsx scripts/bench-peers.ts --n 50 --runs 1 [--warm]
//   node_modules/.bin/tsx scripts/bench-peers.ts --n 2 --workspace     # only write both projects, to look
//
// The peers are installed with npm from scripts/bench-peers/package-lock.json (not a workspace
// package) on first use. Every run is checked: n*8 documents per env, eight kinds of n each, and each
// Deployment's replicas and image as the env says.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_IMPORTS, objectsSource, syntheticConfig, type SyntheticConfig } from './bench-app.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const peersDir = join(repo, 'scripts', 'bench-peers');
const modules = join(peersDir, 'node_modules');
const ENVS = ['dev', 'staging', 'prod'] as const;
type Env = (typeof ENVS)[number];
const KINDS = ['ConfigMap', 'Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'ServiceMonitor', 'PodDisruptionBudget'];

export type Peer = 'cdk8s' | 'kosko';

export interface PeerTiming {
  readonly peer: Peer;
  /** Wall time of each run: every env of every app, Node starts included. */
  readonly seconds: number[];
  /** Documents in the output of one run, all envs (n * 8 * 3). */
  readonly resources: number;
  readonly version: string;
  /** The largest single process of any run, when /usr/bin/time is there. */
  readonly peakRssMiB: number | undefined;
}

export interface PeerOptions {
  /** 'cold' (the default): every run starts with an empty module-transform cache, like the bench's
   *  cold row (Kosko's three commands of one run share it, as three commands in a row would);
   *  'warm': one unmeasured run fills the cache first and every run reuses it. */
  readonly transformCache?: 'cold' | 'warm';
}

const since = (t: number) => (performance.now() - t) / 1000;
const appName = (i: number) => `bench-app-${String(i).padStart(4, '0')}`;

// ---------------------------------------------------------------------------------------------
// Installation: `npm ci` from the committed lock, again whenever the lock changes.

const STAMP = join(modules, '.strata-lock-sha256');

function lockHash(): string {
  return createHash('sha256')
    .update(readFileSync(join(peersDir, 'package-lock.json')))
    .digest('hex');
}

export function installPeers(log: (s: string) => void): void {
  const hash = lockHash();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === hash) return;
  log('installing the peers with npm ci in scripts/bench-peers');
  const t = performance.now();
  const r = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: peersDir, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`npm ci in scripts/bench-peers failed (exit ${r.status ?? r.signal}):\n${(r.stderr || r.stdout || String(r.error)).trim()}`);
  writeFileSync(STAMP, `${hash}\n`);
  log(`installed the peers (${since(t).toFixed(1)}s)`);
}

const version = (pkg: string) => (JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8')) as { version: string }).version;

// ---------------------------------------------------------------------------------------------
// The apps, as each peer's users write them. Both peers share the config types and helpers (what
// @strata/core gives a Strata app) and render the same objects as src/render.ts of bench-app.ts.

const LIB = (managedBy: Peer) => `export interface Config {
  readonly namespace: string;
  readonly version: string;
  readonly image: { readonly repository: string; readonly tag?: string; readonly digest?: string };
  readonly replicas: number;
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
  readonly autoscaling: { readonly min: number; readonly max: number; readonly cpuPercent: number };
  readonly hosts: readonly string[];
  readonly logLevel: string;
  readonly featureFlags: string;
}

type DeepPartial<T> = { readonly [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type Overrides = DeepPartial<Config>;

export const ENVS = ['dev', 'staging', 'prod'] as const;
export type Env = (typeof ENVS)[number];

export function imageRef(image: Config['image'], version: string): string {
  return image.digest ? \`\${image.repository}@\${image.digest}\` : \`\${image.repository}:\${image.tag ?? version}\`;
}

export function standardLabels(app: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': app,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': app,
    'app.kubernetes.io/managed-by': '${managedBy}',
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge deeply; arrays and scalars are replaced. */
export function merge<T>(base: T, overrides: DeepPartial<T>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides as Record<string, unknown>)) {
    out[key] = isObject(value) && isObject(out[key]) ? merge(out[key], value) : value;
  }
  return out as T;
}
`;

/** A value as a TypeScript literal, written the way the apps under apps/ write their config. */
function literal(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`);
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${key(k)}: ${literal(x)}`)
      .join(', ')} }`;
  }
  return typeof v === 'string' ? `'${v.replace(/[\\']/g, '\\$&')}'` : String(v);
}

/** Writes `files` (path -> content) under `root`. */
function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, dirname(rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
}

/** The peers' own node_modules, where an installed project would have it. */
function project(root: string, packageJson: object): void {
  mkdirSync(root, { recursive: true });
  symlinkSync(modules, join(root, 'node_modules'));
  writeFileSync(join(root, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
}

/**
 * cdk8s: one App with a Chart per app and env, the objects passed through as ApiObjects (the
 * `cdk8s import k8s` constructs would be generated from a Kubernetes schema download; kubernetes-models
 * gives the same typed objects offline). Each app is a folder like Strata's: config, one file per env,
 * its chart, and an index that main.ts lists. `cdk8s synth` runs the app command of cdk8s.yaml and
 * writes dist/<env>-<app>.k8s.yaml.
 */
function writeCdk8s(root: string, n: number): void {
  project(root, { name: 'bench-cdk8s', private: true, type: 'module' });
  const files: Record<string, string> = {
    // Node with the tsx loader in one process: what `npx ts-node main.ts` in cdk8s's template does,
    // without a second Node start for npx.
    'cdk8s.yaml': 'language: typescript\napp: node --import tsx main.ts\n',
    'lib/app.ts': LIB('cdk8s'),
  };
  const imports: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = appName(i);
    const { port, defaults, envs } = syntheticConfig(name, i);
    files[`apps/${name}/config.ts`] = `import type { Config } from '../../lib/app.ts';\n\nexport const defaults: Config = ${literal(defaults)};\n`;
    for (const env of ENVS) {
      files[`apps/${name}/env/${env}.ts`] =
        `import type { Overrides } from '../../../lib/app.ts';\n\nexport const ${env}: Overrides = ${literal(envs[env])};\n`;
    }
    files[`apps/${name}/chart.ts`] = `import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
${MODEL_IMPORTS}
import { imageRef, standardLabels, type Config } from '../../lib/app.ts';

const NAME = '${name}';
const PORT = ${port};

export class AppChart extends Chart {
  constructor(scope: Construct, id: string, c: Config) {
    super(scope, id, { namespace: c.namespace });
${objectsSource('    ')}
    for (const o of objects) new ApiObject(this, o.kind, o.toJSON());
  }
}
`;
    files[`apps/${name}/index.ts`] = `import { AppChart } from './chart.ts';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';

export const app = { name: '${name}', Chart: AppChart, defaults, envs: { dev, staging, prod } };
`;
    imports.push(`import { app as app${i} } from './apps/${name}/index.ts';`);
  }
  files['main.ts'] = `import { App } from 'cdk8s';
import { ENVS, merge } from './lib/app.ts';
${imports.join('\n')}

const apps = [${Array.from({ length: n }, (_, i) => `app${i}`).join(', ')}];

const root = new App();
for (const env of ENVS) {
  for (const app of apps) new app.Chart(root, \`\${env}-\${app.name}\`, merge(app.defaults, app.envs[env]));
}
root.synth();
`;
  writeTree(root, files);
}

/**
 * Kosko: one component per app exporting its objects, its variables from @kosko/env, the defaults in
 * a base environment (kosko.toml's baseEnvironment) and what each env changes in environments/<env>/.
 * TypeScript loads through tsx's loader in NODE_OPTIONS: the CLI's own `--require ts-node/register`
 * is CommonJS, and kubernetes-models 5 is ESM only.
 */
function writeKosko(root: string, n: number): void {
  project(root, { name: 'bench-kosko', private: true, type: 'module' });
  const files: Record<string, string> = {
    'kosko.toml': 'components = ["*"]\nbaseEnvironment = "base"\n',
    'lib/app.ts': LIB('kosko'),
  };
  for (let i = 0; i < n; i++) {
    const name = appName(i);
    const { port, defaults, envs } = syntheticConfig(name, i);
    files[`environments/base/${name}.ts`] =
      `import type { Config } from '../../lib/app.ts';\n\nexport default ${literal(defaults)} satisfies Config;\n`;
    for (const env of ENVS) {
      files[`environments/${env}/${name}.ts`] =
        `import type { Overrides } from '../../lib/app.ts';\n\nexport default ${literal(envs[env])} satisfies Overrides;\n`;
    }
    files[`components/${name}.ts`] = `import env from '@kosko/env';
${MODEL_IMPORTS}
import { imageRef, standardLabels, type Config } from '../lib/app.ts';

const NAME = '${name}';
const PORT = ${port};

const c = (await env.component(NAME)) as Config;
${objectsSource('')}

export default objects;
`;
  }
  writeTree(root, files);
}

// ---------------------------------------------------------------------------------------------
// Runs and checks.

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface Run {
  readonly seconds: number;
  readonly stdout: string;
  readonly rssMiB: number | undefined;
}

/** One whole command, timed from spawn to exit; its stdout kept. */
function timed(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const rssFile = join(cwd, '.rss');
  const [cmd, ...rest] = TIME ? [TIME, '-f', '%M', '-o', rssFile, command, ...args] : [command, ...args];
  // The same Node as the bench, first on PATH for the peers' own `node` commands; Node options only
  // from the peer (the bench's own, a TypeScript loader say, would make a peer's start cheaper or dearer).
  const childEnv = { ...process.env, NODE_OPTIONS: '', ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(cmd!, rest, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => {
      const seconds = since(started);
      const stdout = Buffer.concat(out).toString('utf8');
      if (code !== 0) return fail(new Error(`${command} ${args.join(' ')} in ${cwd} failed (exit ${code}):\n${stderr.trim() || stdout.trim()}`));
      const kib = TIME && existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : NaN;
      done({ seconds, stdout, rssMiB: Number.isFinite(kib) ? kib / 1024 : undefined });
    });
  });
}

type Doc = { kind?: string; metadata?: { name?: string }; spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } } };

/** Every YAML document of `text`, parsed with the peers' yaml package. */
function documents(text: string): Doc[] {
  const { parseAllDocuments } = createRequire(join(peersDir, 'package.json'))('yaml') as {
    parseAllDocuments(s: string): { errors: { message: string }[]; toJS(): unknown }[];
  };
  return parseAllDocuments(text).flatMap((d) => {
    if (d.errors.length > 0) throw new Error(`invalid YAML in the output: ${d.errors[0]!.message}`);
    const v = d.toJS();
    return v === null || v === undefined ? [] : [v as Doc];
  });
}

/** What each app's Deployment must say in `env`: replicas and the image reference. */
function expectedDeployment(name: string, i: number, env: Env): { replicas: number; image: string } {
  const { defaults, envs } = syntheticConfig(name, i);
  const e: Partial<SyntheticConfig> = envs[env];
  const image = e.image ?? defaults.image;
  return {
    replicas: e.replicas ?? defaults.replicas,
    image: image.digest ? `${image.repository}@${image.digest}` : `${image.repository}:${image.tag ?? defaults.version}`,
  };
}

/** Throws unless `docs` are the n apps of `env`: n*8 documents, n of each kind, every Deployment as the env says. */
function check(peer: Peer, env: Env, docs: readonly Doc[], n: number): void {
  const fail = (what: string) => {
    throw new Error(`${peer} ${env}: ${what}`);
  };
  if (docs.length !== n * KINDS.length) fail(`${docs.length} documents, expected ${n * KINDS.length}`);
  for (const kind of KINDS) {
    const count = docs.filter((d) => d.kind === kind).length;
    if (count !== n) fail(`${count} ${kind} documents, expected ${n}`);
  }
  const deployments = new Map(docs.filter((d) => d.kind === 'Deployment').map((d) => [d.metadata?.name, d]));
  for (let i = 0; i < n; i++) {
    const name = appName(i);
    const want = expectedDeployment(name, i, env);
    const got = deployments.get(name)?.spec;
    const image = got?.template?.spec?.containers?.[0]?.image;
    if (got?.replicas !== want.replicas || image !== want.image) {
      fail(`Deployment ${name} has replicas ${got?.replicas} and image ${image}, expected ${want.replicas} and ${want.image}`);
    }
  }
}

interface PeerRun {
  readonly seconds: number;
  readonly resources: number;
  readonly rssMiB: number | undefined;
  /** Where the time went, for the log. */
  readonly detail: string;
}

/** One cdk8s run: `cdk8s synth`, then every dist/<env>-*.k8s.yaml checked. */
async function runCdk8s(root: string, n: number, env: NodeJS.ProcessEnv): Promise<PeerRun> {
  const dist = join(root, 'dist');
  rmSync(dist, { recursive: true, force: true });
  // No upgrade check: it asks the npm registry on the first run of every half hour, which is no work
  // of synth and would make the timing depend on the network.
  const run = await timed(join(root, 'node_modules', '.bin', 'cdk8s'), ['synth', '--check-upgrade=false'], root, env);
  const files = readdirSync(dist).filter((f) => f.endsWith('.k8s.yaml'));
  let resources = 0;
  for (const e of ENVS) {
    const docs = files.filter((f) => f.startsWith(`${e}-`)).flatMap((f) => documents(readFileSync(join(dist, f), 'utf8')));
    check('cdk8s', e, docs, n);
    resources += docs.length;
  }
  return { seconds: run.seconds, resources, rssMiB: run.rssMiB, detail: `${files.length} files` };
}

/** One Kosko run: `kosko generate --env <env>` for each env in turn, each output checked. */
async function runKosko(root: string, n: number, env: NodeJS.ProcessEnv): Promise<PeerRun> {
  let seconds = 0;
  let resources = 0;
  let rssMiB: number | undefined;
  const perEnv: string[] = [];
  for (const e of ENVS) {
    const run = await timed(join(root, 'node_modules', '.bin', 'kosko'), ['generate', '--env', e], root, { ...env, NODE_OPTIONS: '--import tsx' });
    const docs = documents(run.stdout);
    check('kosko', e, docs, n);
    seconds += run.seconds;
    resources += docs.length;
    perEnv.push(`${e} ${run.seconds.toFixed(2)}s`);
    if (run.rssMiB !== undefined) rssMiB = Math.max(rssMiB ?? 0, run.rssMiB);
  }
  return { seconds, resources, rssMiB, detail: perEnv.join(', ') };
}

const PEERS = {
  cdk8s: { write: writeCdk8s, run: runCdk8s, version: () => `cdk8s ${version('cdk8s')}, cdk8s-cli ${version('cdk8s-cli')}` },
  kosko: { write: writeKosko, run: runKosko, version: () => `@kosko/cli ${version('@kosko/cli')}, @kosko/generate ${version('@kosko/generate')}` },
} as const;

/** Times cdk8s and Kosko on `n` synthetic apps in three envs, `runs` times each. */
export async function benchPeers(n: number, runs: number, log: (s: string) => void, options: PeerOptions = {}): Promise<PeerTiming[]> {
  installPeers(log);
  const root = mkdtempSync(join(tmpdir(), `strata-bench-peers-${n}-`));
  const results: PeerTiming[] = [];
  try {
    for (const peer of ['cdk8s', 'kosko'] as const) {
      const { write, run, version } = PEERS[peer];
      const dir = join(root, peer);
      const t = performance.now();
      write(dir, n);
      log(`${peer}: ${n} apps at ${dir} (${since(t).toFixed(1)}s)`);
      // tsx keeps its transform cache in TMPDIR: a fresh folder per run is a cold cache.
      const cacheDir = (label: string) => mkdtempSync(join(root, `tmp-${peer}-${label}-`));
      const warm = options.transformCache === 'warm' ? cacheDir('warm') : undefined;
      if (warm) await run(dir, n, { TMPDIR: warm });
      const seconds: number[] = [];
      const rss: number[] = [];
      let resources = 0;
      for (let r = 0; r < runs; r++) {
        const result = await run(dir, n, { TMPDIR: warm ?? cacheDir(String(r)) });
        seconds.push(result.seconds);
        if (result.rssMiB !== undefined) rss.push(result.rssMiB);
        resources = result.resources;
        log(
          `${peer} run ${r + 1}/${runs}: ${result.seconds.toFixed(2)}s (${result.detail}), ${result.resources} resources, ${result.rssMiB?.toFixed(0) ?? '?'} MiB`,
        );
      }
      results.push({ peer, seconds, resources, version: version(), peakRssMiB: rss.length > 0 ? Math.max(...rss) : undefined });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// By hand: node_modules/.bin/tsx scripts/bench-peers.ts --n 50 --runs 1 [--warm] [--workspace]

async function main(argv: readonly string[]): Promise<void> {
  const flag = (name: string, fallback: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
  };
  const n = Number(flag('--n', '50'));
  const runs = Number(flag('--runs', '1'));
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(runs) || runs < 1) {
    console.error('usage: bench-peers [--n 50] [--runs 1] [--warm] [--workspace]');
    process.exit(2);
  }
  if (argv.includes('--workspace')) {
    // Both projects, to run or profile by hand; they stay until you delete them.
    installPeers((s) => console.log(`bench-peers: ${s}`));
    const root = mkdtempSync(join(tmpdir(), `strata-bench-peers-${n}-`));
    for (const peer of ['cdk8s', 'kosko'] as const) PEERS[peer].write(join(root, peer), n);
    console.log(root);
    return;
  }
  const transformCache = argv.includes('--warm') ? 'warm' : 'cold';
  const results = await benchPeers(n, runs, (s) => console.log(`bench-peers: ${s}`), { transformCache });
  const median = (xs: readonly number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  console.log(`\n| peer | apps | resources | transform cache | runs | median s | min–max s | peak RSS MiB | version |`);
  console.log('| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) {
    console.log(
      `| ${r.peer} | ${n} | ${r.resources} | ${transformCache} | ${r.seconds.length} | ${median(r.seconds).toFixed(2)} | ` +
        `${Math.min(...r.seconds).toFixed(2)}–${Math.max(...r.seconds).toFixed(2)} | ${r.peakRssMiB?.toFixed(0) ?? '?'} | ${r.version} |`,
    );
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
