// `npm run build` after the setup: the pipeline through turbo.
//
// Where $CI is set (as `strata pipeline` reads it: set, and not empty, 0 or false) it runs the task
// `pipeline:frozen`, which turbo caches: a frozen run never writes the committed tree, so the inputs
// turbo hashed before it ran are the ones it judged, and what it stores under that hash (dist/ and a
// success) is what those very inputs build to; a tree that is out of date fails it and stores nothing.
// Anywhere else it runs the task `pipeline`, which turbo never caches: that run may rewrite the
// committed tree, its own inputs, after turbo hashed them, so its result belongs to no hash turbo
// could key it by. Strata's own cache (.strata/cache) keeps that run to the apps that changed.
import { spawnSync } from 'node:child_process';

const ci = process.env.CI;
const frozen = ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
const task = frozen ? 'pipeline:frozen' : 'pipeline';
const r = spawnSync('turbo', ['run', task, '--output-logs=new-only', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
});
if (r.error) {
  console.error(`build: cannot run turbo (${r.error.message}): run \`npm run setup\`, which installs it`);
  process.exit(2);
}
process.exit(r.status ?? 1);
