/** What every command shares: the version, timing, stdout and stderr lines, progress, and the app and env options. */
import { Option } from 'commander';
import { ENVIRONMENTS } from '@strata/core';

export const VERSION = '0.1.0';

const started = performance.now();
export const seconds = () => `${((performance.now() - started) / 1000).toFixed(2)}s`;
export const out = (line: string) => process.stdout.write(`${line}\n`);
/** `1 CRD`, `2 CRDs`: a count with its noun, as the summary lines print them. */
export const nounCount = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
export const err = (line: string) => process.stderr.write(`${line}\n`);
/** What the libraries hand back as a warning (they print nothing): one line on stderr. */
export const onWarning = (message: string) => err(`warning: ${message}`);

export interface Common {
  app?: string[];
  env?: string;
}

/**
 * Progress for long runs: one updating line on a terminal, a plain line per step in CI and pipes
 * (only when there are enough steps to be worth it).
 */
export function progress(label: string, total: number): ((step: string, ok: boolean, ms: number) => void) | undefined {
  if (total < 2) return undefined;
  let done = 0;
  const tty = process.stderr.isTTY && !process.env.CI;
  return (step, ok, ms) => {
    done++;
    if (tty) {
      process.stderr.write(`\r\x1b[K${label} [${done}/${total}] ${step}`);
      if (done === total) process.stderr.write('\r\x1b[K');
    } else if (process.env.CI || !ok) {
      err(`${label} [${done}/${total}] ${step} ${ok ? 'ok' : 'FAILED'} (${Math.round(ms)}ms)`);
    }
  };
}

export const appOption = () => new Option('-a, --app <name...>', 'only these apps (folder names under apps/)');
export const envOption = () => new Option('-e, --env <env>', `only this environment (${ENVIRONMENTS.join(', ')})`);
export const selection = (o: Common) => ({ ...(o.app ? { apps: o.app } : {}), ...(o.env ? { env: o.env } : {}) });
