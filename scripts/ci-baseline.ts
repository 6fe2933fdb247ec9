// Prints the git ref .ci/run passes to `strata ci --against` (nothing when the clone has none), and
// on stderr one line of where it came from when that is not plain HEAD~1: see @strata/pipeline/ci-baseline.
// Usage, in the repository's root: node_modules/.bin/tsx scripts/ci-baseline.ts
import { ciBaseline } from '@strata/pipeline/ci-baseline';

const baseline = ciBaseline(process.cwd());
if (baseline.said) process.stderr.write(`${baseline.said}\n`);
if (baseline.against) process.stdout.write(`${baseline.against}\n`);
