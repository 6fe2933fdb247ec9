#!/usr/bin/env node
// Runs the CLI compiled ahead of time from the current sources (see prebuilt.mjs); when it cannot be
// compiled, runs the TypeScript sources directly through tsx, whose error then says why. Either
// way the CLI and every app are loaded in this one process.
import { prebuilt, prebuiltFailure, prebuiltSources } from './prebuilt.mjs';

// A closed pipe (`strata diff ... | head`) ends the output, not the program with a stack trace.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
const typescript = async () => (await import('tsx/esm/api')).register();
const bundle = await prebuilt();
let main;
if (bundle) {
  const { usePrebuilt } = await import(bundle.project);
  // An app that cannot be loaded with the others is imported from its own file: through tsx.
  usePrebuilt(prebuiltSources(bundle), typescript);
  ({ main } = await import(bundle.strata));
} else {
  // Said, so that a run several times slower than it should be is never a mystery.
  process.stderr.write(`warning: running the CLI from its TypeScript sources, which is slower: its prebuilt bundle could not be built (${prebuiltFailure})\n`);
  await typescript();
  ({ main } = await import('../src/main.ts'));
}
await main(process.argv.slice(2));
