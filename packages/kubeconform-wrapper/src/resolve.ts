import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findRoot, Layout, strataCheckout, ToolMissingError, UsageError } from '@strata/project';

export { ToolMissingError };

/** The kubeconform release Strata pins; any v0.7.x on PATH is accepted. */
export const KUBECONFORM_VERSION = 'v0.7.0';
const COMPATIBLE = /^v0\.7\.\d+$/;
const GO_PACKAGE = 'github.com/yannh/kubeconform/cmd/kubeconform';

/** The workspace root (the folder holding `pnpm-workspace.yaml`) at or above `from`, or undefined outside one. */
export function findRepoRoot(from: string = process.cwd()): string | undefined {
  try {
    return findRoot(from);
  } catch (err) {
    if (err instanceof UsageError) return undefined;
    throw err;
  }
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The version of a kubeconform binary, such as `v0.7.0`, or undefined. Release builds print it for
 * `-v`, and so does the setup's build (it sets the version at link time); a plain `go install`
 * build prints "development", so its version is read from the Go build information instead.
 */
export function kubeconformVersion(bin: string): string | undefined {
  const run = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 10_000 });
  if (run.status !== 0) return undefined;
  const reported = run.stdout.trim().split(/\s+/)[0] ?? '';
  if (/^v\d/.test(reported)) return reported;
  try {
    const embedded = BUILD_INFO.exec(readFileSync(bin).toString('latin1'))?.[1];
    return embedded ?? (reported || undefined);
  } catch {
    return reported || undefined;
  }
}

const BUILD_INFO = /\nmod\tgithub\.com\/yannh\/kubeconform\t(v[^\t\n]+)\t/;

export interface ResolveOptions {
  /** Repository root. @default the nearest directory holding pnpm-workspace.yaml above process.cwd() */
  readonly root?: string;
  /** Explicit binary; skips every other lookup. */
  readonly bin?: string;
}

/**
 * Finds the kubeconform binary: `bin`, then `$STRATA_KUBECONFORM`, then `<root>/.tools/bin/kubeconform`
 * (installed by the setup script), then a v0.7.x `kubeconform` on PATH. Files validated outside any
 * workspace (root is then the folder strata runs in) are judged with the tools of the Strata checkout
 * this code belongs to, as their kustomize builds are.
 * @throws ToolMissingError with a one-line install command when none is usable.
 */
export function resolveKubeconform(options: ResolveOptions = {}): string {
  const given = options.root ?? findRepoRoot();
  const inWorkspace = given !== undefined && existsSync(join(given, Layout.workspaceFile));
  const root = inWorkspace ? given : strataCheckout();
  const toolsBin = join(root, '.tools', 'bin');
  const setup = inWorkspace ? '`npm run build`' : `\`npm run build\` in ${root}`;
  const hint =
    `run ${setup} (its setup installs the pinned tools), or ` +
    `\`GOBIN=${toolsBin} go install -ldflags=-X=main.version=${KUBECONFORM_VERSION} ${GO_PACKAGE}@${KUBECONFORM_VERSION}\``;

  const explicit = options.bin ?? process.env.STRATA_KUBECONFORM;
  if (explicit !== undefined && explicit !== '') {
    if (isExecutable(explicit)) return explicit;
    const from = options.bin !== undefined ? 'the bin option' : 'STRATA_KUBECONFORM';
    throw new ToolMissingError(`kubeconform not found at ${explicit} (from ${from})`, hint);
  }

  for (const dir of new Set([...(given !== undefined ? [join(given, '.tools', 'bin')] : []), toolsBin])) {
    const local = join(dir, 'kubeconform');
    if (isExecutable(local)) return local;
  }

  let wrongVersion: string | undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'kubeconform');
    if (!isExecutable(candidate)) continue;
    const version = kubeconformVersion(candidate);
    if (version !== undefined && COMPATIBLE.test(version)) return candidate;
    wrongVersion ??= `${candidate} is ${version ?? 'of unknown version'}, not v0.7.x`;
  }

  const reason = wrongVersion ? `kubeconform ${KUBECONFORM_VERSION} not found (${wrongVersion})` : `kubeconform ${KUBECONFORM_VERSION} not found`;
  throw new ToolMissingError(reason, hint);
}
