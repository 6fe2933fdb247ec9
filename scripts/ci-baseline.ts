// Prints the git ref .ci/run passes to `strata ci --against` (nothing when the clone has none), and
// on stderr one line of where it came from when that is not plain HEAD~1: see @strata/pipeline/ci-baseline.
// A git that cannot run in the clone (not installed, `detected dubious ownership`) fails it, exit 2,
// with git's words, so that .ci/run stops rather than run the gate without its upgrade check.
// Usage, in the repository's root: node_modules/.bin/tsx scripts/ci-baseline.ts
import { ciBaseline } from '@strata/pipeline/ci-baseline';

let baseline: ReturnType<typeof ciBaseline>;
try {
  baseline = ciBaseline(process.cwd());
} catch (e) {
  process.stderr.write(`ci: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}
if (baseline.said) process.stderr.write(`${baseline.said}\n`);
if (baseline.against) process.stdout.write(`${baseline.against}\n`);
