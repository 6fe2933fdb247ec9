import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ToolMissingError, type Manifest } from '@strata/core';

export const KUSTOMIZE_VERSION = 'v5.8.1';

/** How to run `kustomize build`: a kustomize binary, or kubectl's built-in copy. */
export interface KustomizeCommand {
  readonly command: string;
  readonly args: readonly string[];
}

const INSTALL_HINT =
  `run \`npm run build\` (its setup builds kustomize ${KUSTOMIZE_VERSION} into .tools/bin with Go), ` +
  `or \`GOBIN=$PWD/.tools/bin go install sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}\``;

/**
 * Finds kustomize: $STRATA_KUSTOMIZE, then .tools/bin/kustomize, then a v5 kustomize on PATH, then
 * `kubectl kustomize`.
 */
export function resolveKustomize(root: string): KustomizeCommand {
  const explicit = process.env.STRATA_KUSTOMIZE;
  if (explicit) {
    if (!existsSync(explicit)) throw new ToolMissingError(`STRATA_KUSTOMIZE=${explicit} does not exist`, INSTALL_HINT);
    return { command: explicit, args: ['build'] };
  }
  const local = join(root, '.tools', 'bin', 'kustomize');
  if (existsSync(local)) return { command: local, args: ['build'] };
  const onPath = spawnSync('kustomize', ['version'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim().startsWith('v5.')) return { command: 'kustomize', args: ['build'] };
  const kubectl = spawnSync('kubectl', ['kustomize', '--help'], { encoding: 'utf8' });
  if (kubectl.status === 0) return { command: 'kubectl', args: ['kustomize'] };
  throw new ToolMissingError('kustomize not found', INSTALL_HINT);
}

export interface BuildResult {
  /** The overlay folder, relative to the root. */
  readonly overlay: string;
  readonly ok: boolean;
  /** The built YAML stream (empty when the build failed). */
  readonly yaml: string;
  /** kustomize's own message when the build failed. */
  readonly error?: string;
  readonly millis: number;
}

function buildOne(cmd: KustomizeCommand, root: string, dir: string): Promise<BuildResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd.command, [...cmd.args, dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const overlay = relative(root, join(root, dir)) || '.';
    child.on('error', (e) => resolve({ overlay, ok: false, yaml: '', error: e.message, millis: performance.now() - started }));
    child.on('close', (code) => {
      const millis = performance.now() - started;
      if (code === 0) resolve({ overlay, ok: true, yaml: Buffer.concat(out).toString('utf8'), millis });
      else {
        const message = Buffer.concat(err).toString('utf8').trim().replace(/^Error: /, '').replace(/\s*\n\s*/g, ' ') || `exit code ${code}`;
        resolve({ overlay, ok: false, yaml: '', error: message, millis });
      }
    });
  });
}

/** Runs `kustomize build` on every overlay, at most `concurrency` at a time, results in input order. */
export async function buildOverlays(
  root: string,
  overlays: readonly string[],
  options: { concurrency?: number; command?: KustomizeCommand; onResult?: (r: BuildResult) => void } = {},
): Promise<BuildResult[]> {
  const cmd = options.command ?? resolveKustomize(root);
  const results: BuildResult[] = new Array(overlays.length);
  let next = 0;
  const worker = async () => {
    while (next < overlays.length) {
      const i = next++;
      results[i] = await buildOne(cmd, root, overlays[i]!);
      options.onResult?.(results[i]!);
    }
  };
  const n = Math.max(1, Math.min(options.concurrency ?? availableParallelism(), overlays.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}

/** Parses a built YAML stream into manifests; a YAML error names the overlay. */
export function parseBuild(yaml: string, overlay: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(yaml)) {
    if (doc.errors.length > 0) throw new Error(`${overlay}: kustomize output is not valid YAML: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as Manifest | null;
    if (value) out.push(value);
  }
  return out;
}
