#!/usr/bin/env node
// Runs the TypeScript sources directly: the CLI and every app are loaded in this one process.
import { register } from 'tsx/esm/api';

register();
// A closed pipe (`strata diff ... | head`) ends the output, not the program with a stack trace.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
const { main } = await import('../src/main.ts');
await main(process.argv.slice(2));
