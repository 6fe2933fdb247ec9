import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Reporter, TestModule, TestSpecification } from 'vitest/node';

/** Tests that start the throw-away kube-apiserver or run the server validation helper, and what they need built. */
const NEEDS_BUILT: readonly { readonly path: string; readonly target: 'servers' | 'all' }[] = [
  { path: '/packages/verify/', target: 'servers' },
  { path: '/packages/cli/test/verify-cli.test.ts', target: 'servers' },
  { path: '/packages/policy/test/server-differential.test.ts', target: 'servers' },
  { path: '/packages/server-validation/', target: 'all' },
];
const INSTALL_SERVERS = fileURLToPath(new URL('./install-servers.mjs', import.meta.url));

/**
 * Says at the start of a run when it will build the server binaries or the server validation helper
 * (minutes, once per machine), and ends the run with one plain line, `N passed, N failed, N skipped`,
 * that any CI can read.
 */
export class SummaryReporter implements Reporter {
  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    const needed = NEEDS_BUILT.filter((n) => specifications.some((s) => s.moduleId.includes(n.path)));
    if (needed.length === 0) return;
    // The check only looks at the cache; the first test that needs them builds them.
    const target = needed.some((n) => n.target === 'all') ? 'all' : 'servers';
    const check = spawnSync(process.execPath, [INSTALL_SERVERS, '--check', target], { encoding: 'utf8' });
    if (check.status === 1) process.stdout.write(`\nnpm test: ${check.stdout.trim().replace(/^install-servers: /, '')}\n\n`);
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
