#!/usr/bin/env node
// Runs the CLI compiled ahead of time from the current sources (see prebuilt.mjs); when it cannot be
// compiled, runs the TypeScript sources directly through tsx, whose error then says why. Either
// way the CLI and every app are loaded in this one process.
import { setFlagsFromString } from 'node:v8';
import { prebuilt, prebuiltFailure, prebuiltSources } from './prebuilt.mjs';

// A run is short and busy: V8's default asks its optimizing compiler to recompile a function after
// about 66 KB of its bytecode ran, and at 500 apps that compiler then takes more CPU (some 1.5 s, on
// its own threads) than the code it speeds up saves. Waiting for about 1 MB keeps the optimizing for
// the code that stays hot. Set before the CLI's bundle is loaded; scripts/bench.ts measures it.
setFlagsFromString('--interrupt-budget=1000000');

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
