#!/usr/bin/env node
// Idempotent setup that `npm run build` and `npm test` run first: pnpm (without corepack), the
// workspace dependencies from the committed lockfile, the pinned kustomize and kubeconform
// binaries and the kustomize builder in .tools/bin. A second run on a set-up tree only checks
// versions and hashes.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingInstall } from './install-state.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');
const binDir = join(toolsDir, 'bin');
const PNPM_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

const KUSTOMIZE = { name: 'kustomize', module: 'sigs.k8s.io/kustomize/kustomize/v5', pkg: 'sigs.k8s.io/kustomize/kustomize/v5', version: 'v5.8.1' };
const GO_TOOLS = [
  KUSTOMIZE,
  // kubeconform prints `var version` for -v, "development" unless the release build sets it.
  {
    name: 'kubeconform',
    module: 'github.com/yannh/kubeconform',
    pkg: 'github.com/yannh/kubeconform/cmd/kubeconform',
    version: 'v0.7.0',
    ldflags: '-X main.version=v0.7.0',
    versionArgs: ['-v'],
  },
];

const started = Date.now();
const log = (msg) => console.log(`setup: ${msg}`);

function fail(msg) {
  console.error(`setup: error: ${msg}`);
  process.exit(2);
}

function has(cmd, args = ['version']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout}${r.stderr}` : undefined;
}

function ensurePnpm() {
  const pkg = join(toolsDir, 'pnpm', 'node_modules', 'pnpm', 'package.json');
  if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).version === PNPM_VERSION) return;
  log(`installing pnpm ${PNPM_VERSION} into .tools/pnpm`);
  mkdirSync(join(toolsDir, 'pnpm'), { recursive: true });
  const r = spawnSync('npm', ['install', '--prefix', join(toolsDir, 'pnpm'), '--no-audit', '--no-fund', '--loglevel=error', `pnpm@${PNPM_VERSION}`], {
    stdio: 'inherit',
  });
  if (r.status !== 0) fail(`could not install pnpm ${PNPM_VERSION} with npm; check access to the npm registry`);
}

function workspaceHash() {
  const h = createHash('sha256');
  const files = ['pnpm-lock.yaml', 'pnpm-workspace.yaml', 'package.json'];
  for (const group of ['apps', 'packages']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) files.push(join(group, name, 'package.json'));
  }
  for (const f of files) {
    const p = join(root, f);
    h.update(f).update(existsSync(p) ? readFileSync(p) : '');
  }
  return h.digest('hex');
}

function ensureDependencies() {
  const stamp = join(toolsDir, 'install.stamp');
  const want = workspaceHash();
  const current = existsSync(stamp) && readFileSync(stamp, 'utf8') === want;
  const missing = missingInstall(root);
  if (current && missing.length === 0) return;
  const why = current
    ? `, as ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''} ${missing.length === 1 ? 'is' : 'are'} missing`
    : '';
  log(`installing workspace dependencies (pnpm install --frozen-lockfile)${why}`);
  const pnpm = join(toolsDir, 'pnpm', 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
  const r = spawnSync(process.execPath, [pnpm, 'install', '--frozen-lockfile', '--reporter=append-only'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0)
    fail(
      'pnpm install failed; if you changed a package.json, run `node .tools/pnpm/node_modules/pnpm/bin/pnpm.cjs install` and commit pnpm-lock.yaml',
    );
  writeFileSync(stamp, workspaceHash());
}

/** The module version a Go binary was built from (`go version -m`), or undefined. */
function goBuildVersion(bin, module) {
  const info = has('go', ['version', '-m', bin]);
  const line = info?.split('\n').find((l) => l.trim().startsWith('mod\t') && l.includes(module));
  return line?.trim().split('\t')[2];
}

/**
 * Built from the pinned module version, and reporting it itself where the linker sets it (the build
 * info cannot tell: -trimpath leaves -ldflags out of it), so a binary from an older setup is rebuilt.
 */
function isCurrent(tool) {
  const bin = join(binDir, tool.name);
  if (goBuildVersion(bin, tool.module) !== tool.version) return false;
  return !tool.versionArgs || has(bin, tool.versionArgs)?.trim() === tool.version;
}

function goInstall(tool) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const flags = tool.ldflags ? [`-ldflags=${tool.ldflags}`] : [];
    const child = spawn('go', ['install', ...flags, `${tool.pkg}@${tool.version}`], {
      env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0', GOFLAGS: '-trimpath' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ tool, code, err, seconds: ((Date.now() - t0) / 1000).toFixed(1) }));
  });
}

async function ensureGoTools() {
  const missing = GO_TOOLS.filter((t) => {
    const bin = join(binDir, t.name);
    return !existsSync(bin) || (has('go', ['version']) && !isCurrent(t));
  });
  if (missing.length === 0) return;
  if (!has('go', ['version'])) {
    const fallbacks = missing.filter((t) => !toolOnPath(t));
    if (fallbacks.length === 0) return;
    fail(
      `${fallbacks.map((t) => `${t.name} ${t.version}`).join(' and ')} not found. Install Go 1.26 or newer (https://go.dev/dl) and rerun, ` +
        `or put ${fallbacks.map((t) => t.name).join(' and ')} at the pinned version on PATH`,
    );
  }
  mkdirSync(binDir, { recursive: true });
  log(`building ${missing.map((t) => `${t.name} ${t.version}`).join(', ')} into .tools/bin with go install (about 30 s, once)`);
  const results = await Promise.all(missing.map(goInstall));
  for (const r of results) {
    if (r.code !== 0) fail(`go install ${r.tool.pkg}@${r.tool.version} failed:\n${r.err.trim()}`);
    log(`${r.tool.name} ${r.tool.version} built in ${r.seconds}s`);
  }
}

/**
 * Go programs of the repository, built from their pinned modules: the long-lived kustomize builder
 * (one process for every overlay instead of one kustomize process each; without Go, builds fall back
 * to one kustomize process per overlay) and the decoder that reads manifests as kubectl does (without
 * Go, validate falls back to a YAML 1.1 reading in process).
 */
const GO_PROGRAMS = [
  {
    name: 'strata-kustomize-builder',
    src: join(root, 'packages', 'kustomize', 'builder'),
    without: 'builds run one kustomize process per overlay',
    // kustomize names itself in `app.kubernetes.io/managed-by: kustomize-<version>` (buildMetadata:
    // [managedByLabel]) from its provenance, which the CLI reads from its own module version; the
    // builder's main module is not kustomize, so the linker gives it the pinned CLI's version.
    ldflags: `-X sigs.k8s.io/kustomize/api/provenance.version=${KUSTOMIZE.version}`,
  },
  {
    name: 'strata-decode',
    src: join(root, 'packages', 'validate', 'decoder'),
    without: "validate reads YAML in process, without kubectl's own decoder",
  },
];

/** What the binary is built from: the Go version, its linker flags and the program's sources (its tests are not in it). */
function programHash({ src, ldflags = '' }) {
  const h = createHash('sha256')
    .update(has('go', ['version']) ?? '')
    .update(`ldflags=${ldflags}\n`);
  for (const f of readdirSync(src)
    .filter((n) => /\.go$|^go\.(mod|sum)$/.test(n) && !n.endsWith('_test.go'))
    .sort()) {
    h.update(f).update(readFileSync(join(src, f)));
  }
  return h.digest('hex');
}

function ensureGoPrograms() {
  for (const p of GO_PROGRAMS) {
    if (!existsSync(join(p.src, 'go.mod'))) continue;
    if (!has('go', ['version'])) {
      log(`Go not found: skipping ${p.name}; ${p.without}`);
      continue;
    }
    const bin = join(binDir, p.name);
    const stamp = `${bin}.sha256`;
    const want = programHash(p);
    if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) continue;
    const t0 = Date.now();
    mkdirSync(binDir, { recursive: true });
    // The same flags as the go install above, so shared packages come from Go's build cache.
    const flags = p.ldflags ? [`-ldflags=${p.ldflags}`] : [];
    const r = spawnSync('go', ['build', '-trimpath', ...flags, '-o', bin, '.'], {
      cwd: p.src,
      env: { ...process.env, CGO_ENABLED: '0' },
      encoding: 'utf8',
    });
    if (r.status !== 0) fail(`go build of ${relative(root, p.src)} failed:\n${`${r.stdout}${r.stderr}`.trim()}`);
    writeFileSync(stamp, want);
    log(`${p.name} built in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
}

/**
 * The built-in schema set of every Kubernetes version strata.config.json names (`kubernetes.version`
 * and `kubernetes.envs`), made from the pinned kubernetes-validate wheel into the per-machine cache
 * unless committed (the target version's) or made before. Only the versions in use: each is 11 MB.
 */
async function ensureSchemaSets() {
  const file = join(root, 'strata.config.json');
  if (!existsSync(file)) return;
  let section;
  try {
    section = JSON.parse(readFileSync(file, 'utf8')).kubernetes;
  } catch (err) {
    fail(`strata.config.json: not valid JSON: ${err.message}`);
  }
  if (section === undefined || section === null || typeof section !== 'object') return;
  const named = [['kubernetes.version', section.version], ...Object.entries(section.envs ?? {}).map(([env, v]) => [`kubernetes.envs.${env}`, v])];
  const { ensureKubernetesSet, kubernetesSetVersion, schemaCacheRoot } = await import('../packages/schemas/src/sets.mjs');
  const versions = new Map();
  for (const [where, v] of named) {
    if (v === undefined) continue;
    try {
      versions.set(kubernetesSetVersion(v), where);
    } catch (err) {
      fail(`strata.config.json: ${where}: ${err.message}`);
    }
  }
  for (const [version, where] of versions) {
    const t0 = Date.now();
    let made;
    try {
      made = ensureKubernetesSet(version).made;
    } catch (err) {
      fail(`the schemas of Kubernetes ${version} (strata.config.json: ${where}): ${err.message}`);
    }
    if (made) log(`schemas of Kubernetes ${version.replace(/\.0$/, '')} made in ${schemaCacheRoot()} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
}

/**
 * The `strata` command compiled ahead of time (packages/cli/bin/prebuilt.mjs), so that the first
 * run after setup does not compile it. The command checks on every start that the bundle is the
 * one of the current sources and compiles it again otherwise.
 */
async function ensureCliBundle() {
  const { bundleKey, buildBundle, distDir } = await import('../packages/cli/bin/prebuilt.mjs');
  const key = bundleKey();
  if (existsSync(join(distDir, key, 'strata.mjs'))) return;
  const t0 = Date.now();
  try {
    await buildBundle(key);
  } catch (err) {
    // The command then runs the TypeScript sources, whose error says what does not compile.
    log(`the strata command could not be compiled ahead of time (${err.message.split('\n')[0]}); it will run its TypeScript sources`);
    return;
  }
  log(`strata command compiled into ${relative(root, join(distDir, key))} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

/** A compatible binary on PATH, used only when Go is missing. */
function toolOnPath(tool) {
  if (tool.name === 'kustomize') {
    const v = has('kustomize', ['version']);
    if (v?.trim().startsWith('v5.')) return true;
    return Boolean(has('kubectl', ['kustomize', '--help']));
  }
  const v = has('kubeconform', ['-v']);
  return Boolean(v?.trim().startsWith('v0.7'));
}

/** Puts pnpm where npm scripts and turbo look for it (node_modules/.bin is on their PATH). */
function linkPnpm() {
  const link = join(root, 'node_modules', '.bin', 'pnpm');
  if (existsSync(link)) return;
  mkdirSync(dirname(link), { recursive: true });
  writeFileSync(link, `#!/bin/sh\nexec node "${join(toolsDir, 'pnpm', 'node_modules', 'pnpm', 'bin', 'pnpm.cjs')}" "$@"\n`, { mode: 0o755 });
}

// --tools-only: just the pinned binaries (used by tests of the no-Go path).
if (!process.argv.includes('--tools-only')) {
  ensurePnpm();
  ensureDependencies();
  linkPnpm();
}
await ensureGoTools();
ensureGoPrograms();
if (!process.argv.includes('--tools-only')) {
  await ensureSchemaSets();
  await ensureCliBundle();
}
log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
