import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Layout, refuseLinkedCrds, ToolError } from '@strata/project';
import { DEFAULT_KUBERNETES_VERSION, normalizeKubernetesVersion, schemaLocations } from '@strata/schemas';
import { parseKubeconformJson } from './parse.ts';
import type { KubeconformResult } from './parse.ts';
import { findRepoRoot, resolveKubeconform } from './resolve.ts';

/** Files and directories (walked for .yaml, .yml and .json), or manifests as one YAML string. */
export type KubeconformInput = { readonly paths: readonly string[] } | { readonly stdin: string };

export interface KubeconformOptions {
  /** Kubernetes version whose built-in schemas apply. @default DEFAULT_KUBERNETES_VERSION (1.36.0) */
  readonly kubernetesVersion?: string;
  /** Repository root, for `.tools/bin/kubeconform`. @default found from process.cwd() */
  readonly root?: string;
  /** kubeconform binary. @default resolved by resolveKubeconform */
  readonly bin?: string;
  /** Resources validated in parallel inside the one process. @default os.availableParallelism() */
  readonly concurrency?: number;
}

/**
 * kubeconform crashed, could not start, or printed something other than its JSON report: a tool
 * failure (exit 2), so it is a ToolError and callers know it by class.
 */
export class KubeconformFailedError extends ToolError {
  override readonly name: string = 'KubeconformFailedError';
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(message: string, exitCode: number | null, stderr: string) {
    super(message);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** The exact arguments of one run, without the binary. */
export function kubeconformArgs(input: KubeconformInput, options: KubeconformOptions = {}): string[] {
  const version = normalizeKubernetesVersion(options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? availableParallelism()));
  // Never -ignore-missing-schemas: a kind without a schema must be reported, not skipped.
  // No -summary: the caller counts the typed results itself.
  const args = ['-strict', '-output', 'json', '-verbose', '-n', String(concurrency), '-kubernetes-version', version];
  // The project's own CRDs (`strata crd add`) come after the shipped ones.
  const root = options.root ?? findRepoRoot();
  if (root !== undefined) refuseLinkedCrds(root);
  for (const location of schemaLocations(version, root === undefined ? [] : [join(root, Layout.crdSchemas)])) args.push('-schema-location', location);
  if ('stdin' in input) {
    args.push('-');
  } else {
    if (input.paths.length === 0) throw new Error('Nothing to validate: pass at least one file or directory.');
    // Paths that start with "-" would be read as flags.
    args.push(...input.paths.map((p) => (p.startsWith('-') && p !== '-' ? `./${p}` : p)));
  }
  return args;
}

/**
 * Validates manifests with one offline, strict kubeconform process against @strata/schemas.
 * Invalid resources are results, not failures; a kind without a schema is an `error` result whose
 * message says how to add the schema.
 * @throws ToolMissingError when kubeconform is not installed.
 * @throws KubeconformFailedError when kubeconform crashes or its output cannot be read.
 */
export async function validateWithKubeconform(input: KubeconformInput, options: KubeconformOptions = {}): Promise<KubeconformResult[]> {
  const args = kubeconformArgs(input, options);
  const resolveOptions = {
    ...(options.root !== undefined ? { root: options.root } : {}),
    ...(options.bin !== undefined ? { bin: options.bin } : {}),
  };
  const bin = resolveKubeconform(resolveOptions);
  const version = normalizeKubernetesVersion(options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
  const { code, signal, stdout, stderr } = await run(bin, args, 'stdin' in input ? input.stdin : undefined);

  // kubeconform exits 1 when a resource is invalid or has an error; only other codes are failures.
  const results = code === 0 || code === 1 ? parseKubeconformJson(stdout, version) : undefined;
  if (results === undefined) {
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    const detail = stderr.trim() || stdout.trim().slice(0, 2000) || 'no output';
    throw new KubeconformFailedError(`kubeconform ${how}: ${detail}`, code, stderr);
  }
  // Workers finish in any order; callers print and compare results, so give them a stable one.
  return results.sort(compareResults);
}

function compareResults(a: KubeconformResult, b: KubeconformResult): number {
  for (const key of ['filename', 'version', 'kind', 'name', 'status', 'message'] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  return 0;
}

interface RunOutput {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(bin: string, args: readonly string[], stdin: string | undefined): Promise<RunOutput> {
  return new Promise((resolvePromise, reject) => {
    // kubeconform's heap is mostly short-lived: collecting less often saves a fifth of its time.
    const env = process.env.GOGC || process.env.GOMEMLIMIT ? process.env : { ...process.env, GOGC: '1000', GOMEMLIMIT: '300MiB' };
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new KubeconformFailedError(`could not start ${bin}: ${error.message}`, null, '')));
    child.on('close', (code, signal) =>
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    // kubeconform may exit before reading all of stdin (for instance on a bad flag).
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}
