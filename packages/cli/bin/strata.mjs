#!/usr/bin/env node
// Runs the CLI compiled ahead of time from the current sources (see prebuilt.mjs); when it cannot be
// compiled, runs the TypeScript sources directly through tsx, whose error then says why. Either
// way the CLI and every app are loaded in this one process.
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// Ctrl-C or SIGTERM before the command has begun (its bundle built and loaded, which can take
// seconds) ends the run by the signal in one line, as it does during a command that writes the tree;
// nothing is read or written before the command begins, so nothing is undone. Listening from the
// first line of this file, before anything else is loaded, leaves only Node's own start unguarded.
// The command takes over as it begins (main's preAction): a writer with its own handler
// (guardInterrupts), which says the same as this one when it finds nothing done; others by the
// signal's default.
const SIGNALS = ['SIGINT', 'SIGTERM'];
const beforeStart = (signal) => {
  stopStartGuard();
  process.stderr.write(`strata: interrupted (${signal}) before this run changed the tree; nothing to undo\n`);
  process.kill(process.pid, signal);
};
function stopStartGuard() {
  for (const s of SIGNALS) process.removeListener(s, beforeStart);
}
for (const s of SIGNALS) process.on(s, beforeStart);
// Nor is the end left unguarded: once nothing is left to do, ended by process.exit rather than by
// Node's own end, which first closes the listeners' handles, so that a signal in its last
// milliseconds would end a finished run by the signal, without a word. A signal after this is
// ignored: the run has finished, its exit status stands.
process.once('beforeExit', () => process.exit());

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
// Loaded once the guard stands (static imports would be loaded before it).
const compiled = await import('./prebuilt.mjs');
const typescript = async () => (await import('tsx/esm/api')).register();
const bundle = await compiled.prebuilt();
let main;
if (bundle) {
  // By URL: a path is read as one, so a `#` or `%2F` in the checkout's folder (a CI workspace named
  // after its branch) would cut or change it.
  const { usePrebuilt } = await import(pathToFileURL(bundle.project).href);
  // An app that cannot be loaded with the others is imported from its own file: through tsx.
  usePrebuilt(compiled.prebuiltSources(bundle), typescript);
  ({ main } = await import(pathToFileURL(bundle.strata).href));
} else {
  // Said, so that a run several times slower than it should be is never a mystery.
  process.stderr.write(`warning: running the CLI from its TypeScript sources, which is slower: its prebuilt bundle could not be built (${compiled.prebuiltFailure})\n`);
  await typescript();
  ({ main } = await import('../src/main.ts'));
}
await main(process.argv.slice(2), { stopStartGuard });
