import { type Command, Option } from 'commander';
import { findRootOrCwd } from '@strata/project';
import { OUTPUT_FORMATS, type OutputFormat } from '@strata/validate/formats';
import { EXIT } from '../exit.ts';
import { envOption, err, onWarning, out, seconds, VERSION } from '../common.ts';

/** Adds `strata validate` to the program. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('validate built output (default dist/) or any YAML files, folders and - (stdin), read as kubectl reads them')
    .argument('[paths...]', 'files, folders, pipes or - for stdin')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .option('--kubernetes-version <version>', "validate against this Kubernetes version (default: each env's version in strata.config.json)")
    .option('--no-policy', 'schema and structural checks only, no policy rules')
    .option('--allow-empty', 'pass when the inputs hold no Kubernetes object (otherwise that fails: a job pointed at the wrong folder must not pass)')
    .option('--list-excepted', 'list each finding an app policy exception waives (text output counts them in one line)')
    .addOption(envOption().argParser((v) => v))
    .action(
      async (
        paths: string[],
        o: { output: OutputFormat; kubernetesVersion?: string; policy: boolean; env?: string; allowEmpty?: boolean; listExcepted?: boolean },
      ) => {
        const { resultReport, validateRun } = await import('@strata/pipeline');
        const r = await validateRun(
          findRootOrCwd(),
          paths,
          {
            ...(o.kubernetesVersion ? { kubernetesVersion: o.kubernetesVersion } : {}),
            policy: o.policy,
            ...(o.env ? { env: o.env } : {}),
            allowEmpty: Boolean(o.allowEmpty),
            cwd: process.cwd(),
            onWarning,
          },
          { format: o.output, version: VERSION, onReport: out },
        );
        // On stderr: which checks ran is for the person, and a report on stdout stays one document.
        for (const note of r.notes ?? []) err(note);
        const { lines, summary } = await resultReport(
          {
            problems: r.problems,
            resources: r.resources,
            ...(r.skipped ? { skipped: r.skipped } : {}),
            suite: 'strata validate',
            ...(r.objects ? { objects: r.objects } : {}),
            ...(r.notes ? { notes: r.notes } : {}),
          },
          {
            format: o.output,
            version: VERSION,
            label: `validate: ${r.scope ? `${r.scope}: ` : ''}`,
            elapsed: seconds(),
            listExcepted: Boolean(o.listExcepted),
          },
        );
        for (const line of lines) out(line);
        if (summary.errors > 0) process.exitCode = EXIT.invalid;
      },
    );
}
