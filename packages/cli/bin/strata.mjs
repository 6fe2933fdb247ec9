#!/usr/bin/env node
// Runs the TypeScript sources directly: the CLI and every app are loaded in this one process.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
await main(process.argv.slice(2));
