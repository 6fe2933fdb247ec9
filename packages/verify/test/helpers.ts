import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

/** A folder laid out like a Strata repository after a build, holding only the given apps. */
export function makeRepo(overlays: Record<string, readonly object[]>): string {
  const root = mkdtempSync(join(tmpdir(), 'strata-verify-test-'));
  writeOverlays(root, overlays);
  return root;
}

/**
 * Writes `overlays/<env>/<app>/` with one resource file per object, and what a build makes of it,
 * `dist/<env>/<app>.yaml`: key is `<env>/<app>`.
 */
export function writeOverlays(root: string, overlays: Record<string, readonly object[]>): void {
  for (const [where, objects] of Object.entries(overlays)) {
    const dir = join(root, 'overlays', where);
    mkdirSync(dir, { recursive: true });
    const files = objects.map((_, i) => `object-${i}.yaml`);
    objects.forEach((o, i) => writeFileSync(join(dir, files[i]!), stringify(o)));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: files }),
    );
    mkdirSync(dirname(join(root, 'dist', where)), { recursive: true });
    writeFileSync(join(root, 'dist', `${where}.yaml`), objects.map((o) => stringify(o)).join('---\n'));
  }
}

/** The 1-based line of the first line of `file` under `root` that contains `text`. */
export function lineOf(root: string, file: string, text: string): number {
  return (
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(text)) + 1
  );
}

export function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
}

export function deployment(
  name: string,
  namespace: string,
  options: { image?: string; selector?: Record<string, string>; container?: object } = {},
): object {
  const labels = options.selector ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: options.image ?? 'nginx:1.27', ...options.container }] },
      },
    },
  };
}

/** Whether a pid is a live process (a zombie waiting to be reaped counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** On a fresh clone the first test to ask builds the server binaries (minutes, once). */
export const BUILD_TIMEOUT = 15 * 60_000;
