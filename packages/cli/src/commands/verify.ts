import { type Command, Option } from 'commander';
import { findRoot, findRootOrCwd, UsageError } from '@strata/project';
import { formatReport, OUTPUT_FORMATS, type OutputFormat, reportError } from '@strata/validate/formats';
import { formatSummary, problemLines, summarize } from '@strata/validate/report';
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
      const { verifyApps, verifyFiles, verifyVerdict } = await import('@strata/pipeline');
      let r: Awaited<ReturnType<typeof verifyApps>>;
      try {
        if (o.namespace !== undefined) (await import('@strata/verify')).checkDefaultNamespace(o.namespace, '--namespace');
        const common = {
          onPhase: onVerifyPhase,
          // The one-time build of the servers (minutes): its progress lines as they come.
          onProgress: (line: string) => err(line),
          defaultNamespace: o.namespace,
          against: o.against,
        };
        if (paths.length > 0 && (o.env || o.app))
          throw new UsageError("--env and --app select the apps' built output; leave them out when naming files");
        r =
          paths.length > 0
            ? await verifyFiles(findRootOrCwd(), paths, { ...common, cwd: process.cwd(), allowEmpty: Boolean(o.allowEmpty) })
            : await verifyApps(findRoot(), { ...common, env: o.env, app: o.app, cwd: process.cwd(), allowEmpty: Boolean(o.allowEmpty) });
      } catch (e) {
        // A report format promises one valid document on stdout, also when the run cannot start, as validate's does.
        if (o.output !== 'text')
          out(reportError(o.output, paths.length > 0 ? paths : ['dist'], e, VERSION, (await import('@strata/validate')).ruleHelp, 'strata verify'));
        throw e;
      }
      // On stderr, as the phases: a report on stdout stays one document.
      printServer(r);
      const summary = summarize(r.problems, r.resources ?? r.objects);
      const report = { problems: r.problems, summary, suite: 'strata verify', phases: r.phases, ...(r.judged ? { objects: r.judged } : {}) };
      if (o.output !== 'text') out(formatReport(o.output, report, VERSION, (await import('@strata/validate')).ruleHelp));
      else {
        for (const line of problemLines(r.problems)) out(line);
        out(`verify: ${formatSummary(summary)} (${seconds()})`);
      }
      settle(verifyVerdict(r));
    });
}
