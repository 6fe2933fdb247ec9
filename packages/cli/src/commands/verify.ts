import { type Command, Option } from 'commander';
import { OUTPUT_FORMATS, type OutputFormat } from '@strata/validate/formats';
import { settle } from '../exit.ts';
import { appOption, type Common, envOption, err, out, seconds, VERSION } from '../common.ts';
import { onVerifyPhase, printServer } from '../reports.ts';

/** Adds `strata verify` to the program. */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      "server-side dry run (strict) on a throw-away kube-apiserver: the apps' built output in dist/ (run `npm run build` first), " +
        'or any YAML files, folders and - (stdin); --against checks it as an upgrade of a git ref or of earlier built manifests',
    )
    .argument('[paths...]', 'files, folders or - for stdin (default: dist/<env>/<app>.yaml of every overlay)')
    .addOption(appOption())
    .addOption(envOption())
    .option(
      '--against <ref|path>',
      'apply this for real first, then check the built output as an update of it: a folder of built manifests (laid out as dist/: ' +
        '<env>/<app>.yaml; with named files, any YAML in it), or a git ref whose overlays are built',
    )
    .option(
      '--allow-empty',
      "pass when there is nothing to verify: named files that hold no Kubernetes object, or no app's overlay (otherwise that fails, as for validate)",
    )
    .option('--namespace <name>', 'the namespace for namespaced objects that name none (default: strata-verify)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .action(async (paths: string[], o: Common & { against?: string; namespace?: string; allowEmpty?: boolean; output: OutputFormat }) => {
      const { resultReport, verifyRun, verifyVerdict } = await import('@strata/pipeline');
      const r = await verifyRun(
        paths,
        {
          env: o.env,
          app: o.app,
          against: o.against,
          namespace: o.namespace,
          allowEmpty: o.allowEmpty,
          cwd: process.cwd(),
          onPhase: onVerifyPhase,
          // The one-time build of the servers (minutes): its progress lines as they come.
          onProgress: (line: string) => err(line),
        },
        { format: o.output, version: VERSION, onReport: out },
      );
      // On stderr, as the phases: a report on stdout stays one document.
      printServer(r);
      const { lines } = await resultReport(
        {
          problems: r.problems,
          resources: r.resources ?? r.objects,
          suite: 'strata verify',
          phases: r.phases,
          ...(r.judged ? { objects: r.judged } : {}),
        },
        { format: o.output, version: VERSION, label: 'verify: ', elapsed: seconds() },
      );
      for (const line of lines) out(line);
      settle(verifyVerdict(r));
    });
}
