import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ENVIRONMENTS, isDnsLabel } from '@strata/core';
import { checkEnv, findRoot, findRootOrCwd, UsageError } from '@strata/project';
// The report builders only: the rest of validate loads when a command needs it.
import { formatReport, OUTPUT_FORMATS, reportError, type OutputFormat } from '@strata/validate/formats';
import { formatSummary, problemLines, summarize } from '@strata/validate/report';
// Types only: erased, so the packages still load when a command needs them.
import type { Drift, ImageEdit, PipelineResult, VerifyReport } from '@strata/pipeline';
import { errorLines, EXIT, exitCodeFor } from './exit.ts';

const VERSION = '0.1.0';

// Each command imports its module when it runs, so `strata generate` never loads kubeconform's
// wrapper and `--help` loads nothing.

const started = performance.now();
const seconds = () => `${((performance.now() - started) / 1000).toFixed(2)}s`;
const out = (line: string) => process.stdout.write(`${line}\n`);
/** `1 CRD`, `2 CRDs`: a count with its noun, as the summary lines print them. */
const nounCount = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const err = (line: string) => process.stderr.write(`${line}\n`);
/** What the libraries hand back as a warning (they print nothing): one line on stderr. */
const onWarning = (message: string) => err(`warning: ${message}`);

interface Common {
  app?: string[];
  env?: string;
}

/**
 * Progress for long runs: one updating line on a terminal, a plain line per step in CI and pipes
 * (only when there are enough steps to be worth it).
 */
function progress(label: string, total: number): ((step: string, ok: boolean, ms: number) => void) | undefined {
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

/** Commander's parse error (`error: unknown option '--ap'` and a line `(Did you mean --app?)`) as one line. */
function usageLine(message: string): string {
  const text = message
    .trim()
    .replace(/^error: /, '')
    .replace(/\s*\n\(Did you mean (.+)\?\)$/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, '; ')
    .replace(/\.$/, '');
  return `strata: ${text}; run with --help for usage`;
}

/** The report format a command line asks for (`-o json`, `--output=sarif`), if any. */
function outputFormatIn(argv: readonly string[]): Exclude<OutputFormat, 'text'> | undefined {
  for (const [i, a] of argv.entries()) {
    const value = a === '-o' || a === '--output' ? argv[i + 1] : /^(?:--output=|-o)(.+)$/.exec(a)?.[1];
    if (value !== undefined)
      return (OUTPUT_FORMATS as readonly string[]).includes(value) && value !== 'text' ? (value as Exclude<OutputFormat, 'text'>) : undefined;
  }
  return undefined;
}

const appOption = () => new Option('-a, --app <name...>', 'only these apps (folder names under apps/)');
const envOption = () => new Option('-e, --env <env>', `only this environment (${ENVIRONMENTS.join(', ')})`);
const selection = (o: Common) => ({ ...(o.app ? { apps: o.app } : {}), ...(o.env ? { env: o.env } : {}) });

const program = new Command('strata')
  .description('Typed Kubernetes applications emitted as plain, committed Kustomize overlays.')
  .version(VERSION)
  // A usage mistake is one line, like every other error: what is wrong, the likely fix, where help is.
  .configureOutput({ outputError: (message, write) => write(`${usageLine(message)}\n`) })
  .exitOverride()
  // A run killed while it wrote the tree left a journal: finish or undo that change before any
  // command reads or writes the tree, so it never sees a mix of old and new files.
  .hook('preAction', async () => {
    const r = (await import('@strata/emit/journal')).recoverWorkspace();
    if (r && r.rolledForward > 0) err(`strata: completed the change to the tree that an interrupted run had committed (${r.files} files)`);
    if (r && r.rolledBack > 0) err(`strata: undid the change to the tree that an interrupted run had started (${r.files} files)`);
  });

program
  .command('generate')
  .description('render every app and write base/<app>/, overlays/<env>/<app>/ and gitops/ (atomic, byte-stable)')
  .addOption(appOption())
  .addOption(envOption())
  .option('--dry-run', 'print the diff of what would change, without writing')
  .action(async (o: Common & { dryRun?: boolean }) => {
    if (o.dryRun) return generateDryRun(o);
    const { generate } = await import('@strata/pipeline');
    const r = await generate(findRoot(), selection(o), { onWarning });
    for (const f of r.written) out(`wrote ${f}`);
    for (const f of r.removed) out(`removed ${f} (stale)`);
    for (const f of r.foreign) err(`warning: ${f} has no generated header; left alone`);
    out(
      `generate: ${nounCount(r.apps, 'app')} x ${nounCount(r.envs, 'env')}: ${r.written.length} written, ${r.removed.length} removed, ${r.unchanged} unchanged (${seconds()})`,
    );
  });

/** `generate --dry-run`: the same plan as generate, printed as one unified diff per file. */
async function generateDryRun(o: Common): Promise<void> {
  const { previewGenerate } = await import('@strata/pipeline');
  const r = await previewGenerate(findRoot(), selection(o), { onWarning });
  (await import('./colorize.ts')).printDiffs(r.diffs, out);
  for (const f of r.foreign) err(`warning: ${f} has no generated header; left alone`);
  const count = (s: string) => r.diffs.filter((d) => d.status === s).length;
  const what =
    r.diffs.length === 0
      ? `no changes, ${r.unchanged} files up to date`
      : `would add ${count('added')}, change ${count('changed')} and remove ${count('removed')} files; ${r.unchanged} unchanged; nothing written`;
  out(`generate --dry-run: ${nounCount(r.apps, 'app')} x ${nounCount(r.envs, 'env')}: ${what} (${seconds()})`);
}

program
  .command('build')
  .description('kustomize build every overlay in parallel into dist/<env>/<app>.yaml')
  .addOption(appOption())
  .addOption(envOption())
  .action(async (o: Common) => {
    const root = findRoot();
    const { build, failOnToolFailures, selectOverlays } = await import('@strata/pipeline');
    const step = progress('build', selectOverlays(root, selection(o)).length);
    const r = await build(root, selection(o), step && ((b) => step(b.overlay, b.ok, b.millis)));
    for (const b of r.results) {
      if (!b.ok) err(`${b.overlay}: kustomize build failed: ${b.error}`);
    }
    for (const f of r.pruned ?? []) out(`removed ${f} (no such app or env)`);
    const docs = r.results.reduce((n, b) => n + (b.yaml.match(/^kind: /gm)?.length ?? 0), 0);
    out(`build: ${r.results.length - r.failed} of ${r.results.length} overlays built, ${docs} resources (${seconds()})`);
    failOnToolFailures(r.results);
    if (r.failed > 0) process.exitCode = EXIT.invalid;
  });

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
      const root = findRootOrCwd();
      const inputs = paths.length > 0 ? paths : ['dist'];
      const { validate, ruleHelp } = await import('@strata/validate');
      let r;
      try {
        if (paths.length === 0 && !existsSync(join(root, 'dist')))
          throw new UsageError('no dist/ to validate: build it first (npm run build, or npx strata build), or name the files to validate');
        r = await validate(root, inputs, {
          ...(o.kubernetesVersion ? { kubernetesVersion: o.kubernetesVersion } : {}),
          policy: o.policy,
          ...(o.env ? { env: o.env } : {}),
          allowEmpty: Boolean(o.allowEmpty),
          // Named files are named from where the command runs, as every shell tool names them.
          ...(paths.length > 0 ? { cwd: process.cwd() } : {}),
          onWarning,
        });
      } catch (e) {
        // A report format promises one valid document on stdout, also when the run cannot finish.
        if (o.output !== 'text') out(reportError(o.output, inputs, e, VERSION, ruleHelp));
        throw e;
      }
      // On stderr: which checks ran is for the person, and a report on stdout stays one document.
      for (const note of r.notes ?? []) err(note);
      const summary = summarize(r.problems, r.resources);
      const report = { problems: r.problems, summary, suite: 'strata validate', ...(r.objects ? { objects: r.objects } : {}) };
      if (o.output !== 'text') out(formatReport(o.output, report, VERSION, ruleHelp));
      else {
        for (const line of problemLines(r.problems, o.listExcepted)) out(line);
        const scope = r.built ? `${nounCount(r.built.apps, 'app')} x ${nounCount(r.built.envs, 'env')}: ` : '';
        out(`validate: ${scope}${formatSummary(summary)} (${seconds()})`);
      }
      if (summary.errors > 0) process.exitCode = EXIT.invalid;
    },
  );

program
  .command('pipeline')
  .description('generate, build and validate every app in one process (what `npm run build` runs); apps unchanged since the last run are reused')
  .option('--no-cache', 'render, build and validate every app, reusing nothing (the cache is still written)')
  .option('--frozen', 'fail, changing nothing, when the committed tree is not what the code generates (the default when $CI is set)')
  .option('--no-frozen', 'bring the committed tree up to date, even in CI')
  .action(async (o: { cache: boolean; frozen?: boolean }) => {
    const root = findRoot();
    const { byContent, failOnToolFailures, pipeline, selectOverlays } = await import('@strata/pipeline');
    const step = progress('build', o.cache ? 0 : selectOverlays(root).length);
    const frozen = o.frozen ?? byContent();
    const r = await pipeline(root, { cache: o.cache, frozen, onWarning, ...(step ? { onBuild: (b) => step(b.overlay, b.ok, b.millis) } : {}) });
    const found = printPipeline(r);
    failOnToolFailures(r.built.results);
    if (found.errors > 0) process.exitCode = EXIT.invalid;
  });

/** The errors a pipeline found, by kind. */
function pipelineCounts(r: PipelineResult): { errors: number; notBuilt: number; problems: number; compared: number; resources: number } {
  const summary = summarize(r.problems, r.resources);
  const compared = r.unmatchedPatches.length + r.roundTrip.length + r.envRootCollisions.length;
  return { errors: r.built.failed + summary.errors + compared, notBuilt: r.built.failed, problems: summary.errors, compared, resources: r.resources };
}

/** What a pipeline did, as `strata pipeline` prints it; the errors it found, by kind. */
function printPipeline(r: PipelineResult): { errors: number; notBuilt: number; problems: number; compared: number; resources: number } {
  const g = r.generated;
  for (const f of g.written) out(`wrote ${f}`);
  for (const f of g.removed) out(`removed ${f} (stale)`);
  for (const f of r.pruned) out(`removed ${f} (no such app or env)`);
  for (const f of g.foreign) err(`warning: ${f} has no generated header; left alone`);
  const reused = r.reused > 0 ? `; ${r.reused} of ${r.apps} ${r.apps === 1 ? 'app' : 'apps'} unchanged since the last run, reused` : '';
  out(`generate: ${g.written.length} written, ${g.removed.length} removed, ${g.unchanged} unchanged${reused} (${r.phases.generate.toFixed(2)}s)`);
  for (const b of r.built.results) if (!b.ok) err(`${b.overlay}: kustomize build failed: ${b.error}`);
  out(`build: ${r.built.results.length - r.built.failed} of ${r.built.results.length} overlays built (${r.phases.build.toFixed(2)}s)`);
  for (const line of [...problemLines(r.problems), ...comparisonLines(r)]) out(line);
  for (const note of r.notes) err(note);
  const summary = summarize(r.problems, r.resources);
  out(`pipeline: ${nounCount(r.apps, 'app')} x ${ENVIRONMENTS.length} envs: ${formatSummary(summary)} (${seconds()})`);
  return pipelineCounts(r);
}

/** The comparisons of check, which the pipeline runs too: one finding a line, a round-trip mismatch with its diff. */
function comparisonLines(r: {
  unmatchedPatches: readonly string[];
  roundTrip: readonly { overlay: string; id: string; diff: string }[];
  envRootCollisions: readonly string[];
}): string[] {
  const mismatches = r.roundTrip.map((m) => `${m.overlay}: ${m.id}: kustomize build differs from the render:\n${m.diff.trimEnd()}`);
  return [...r.unmatchedPatches, ...mismatches, ...r.envRootCollisions];
}

program
  .command('check')
  .description('fail when the committed tree differs from the code (drift) or does not build back to it (round trip)')
  .addOption(appOption())
  .addOption(envOption())
  .option('--no-cache', 'compare every app afresh, reusing nothing of what the last pipeline compared')
  .action(async (o: Common & { cache: boolean }) => {
    const { check, failOnToolFailures } = await import('@strata/pipeline');
    const r = await check(findRoot(), selection(o), { cache: o.cache, onWarning });
    printDrift(r.drift);
    for (const f of r.buildFailures) err(`${f.overlay}: kustomize build failed: ${f.error}`);
    for (const line of comparisonLines(r)) out(line);
    const bad = r.drift.length + r.roundTrip.length + r.buildFailures.length + r.unmatchedPatches.length + r.envRootCollisions.length;
    const reused = r.reused > 0 ? ` (${r.reused} as the last pipeline compared them)` : '';
    const proven = r.envRoots - r.envRootsBuilt;
    out(
      `check: ${r.files} files, ${r.overlays} app overlays${reused} and ${r.envRoots} env roots (${proven} proven from their apps, ${r.envRootsBuilt} built): ` +
        `${r.drift.length} drifted, ${nounCount(r.roundTrip.length, 'round-trip mismatch', 'round-trip mismatches')}, ${nounCount(r.buildFailures.length, 'build failure')} (${seconds()})`,
    );
    printDriftHints(r.drift, r.imageEdits);
    failOnToolFailures(r.buildFailures, r.overlays + r.envRoots);
    if (bad > 0) process.exitCode = EXIT.invalid;
  });

/** Each drifted file as `strata check` prints it: its diff, or one line for a stale file. */
function printDrift(drift: readonly Drift[]): void {
  for (const d of drift) out(d.kind === 'stale' ? d.diff : d.diff.trimEnd());
}

/** After a check's summary: the command that carries each in-place `images:` edit into the pins, and what to do about the drift. */
function printDriftHints(drift: readonly Drift[], imageEdits: readonly ImageEdit[]): void {
  for (const e of imageEdits)
    out(
      `${e.file}: images: ${e.image} was edited in the generated overlay (to ${e.ref}); generate would undo it. Carry it into apps/${e.app}/images.json with:\n  ${e.command}`,
    );
  if (imageEdits.length > 0)
    err("an overlay's images: was edited in place: run the `strata set image` command above (it regenerates the tree), then commit");
  else if (drift.length > 0) err('the committed tree is out of date: run `npx strata generate` and commit the result');
}

program
  .command('diff')
  .description('rendered per-resource diff between two envs (--from/--to) or against a git ref (--against), no cluster needed')
  .addOption(appOption())
  .addOption(envOption().conflicts(['from', 'to']))
  .option('--from <env>', 'the env to compare from')
  .option('--to <env>', 'the env to compare to')
  .option('--against <ref>', 'compare a git ref with the working tree, each side rendered from its sources and built')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
  .action(async (o: Common & { from?: string; to?: string; against?: string; output: string }) => {
    const { diff } = await import('@strata/pipeline');
    const r = await diff(findRoot(), { ...selection(o), from: o.from, to: o.to, against: o.against, onWarning });
    for (const note of r.notes ?? []) err(`note: ${note}`);
    if (o.output === 'json') out(JSON.stringify(r, null, 2));
    else {
      (await import('./colorize.ts')).printDiffs(r.diffs, out);
      const counts = ['added', 'removed', 'changed'].map((s) => `${r.diffs.filter((d) => d.status === s).length} ${s}`).join(', ');
      out(`diff ${r.from} -> ${r.to}: ${r.diffs.length === 0 ? 'no differences' : counts} in ${r.resources} resources (${seconds()})`);
    }
    if (r.diffs.length > 0) process.exitCode = EXIT.invalid;
  });

/** Prints a release's changes and the generated files it rewrote. */
async function printRelease(
  verb: string,
  r: { changes: readonly { app: string; env: string; container: string; from: string; to: string }[]; diffs: readonly { diff: string }[] },
): Promise<void> {
  (await import('./colorize.ts')).printDiffs(r.diffs, out);
  for (const c of r.changes) out(`${c.app} ${c.env} ${c.container}: ${c.from} -> ${c.to}`);
  out(
    `${verb}: ${r.changes.length === 0 ? 'nothing changed' : `${r.changes.length} image${r.changes.length === 1 ? '' : 's'} changed, ${nounCount(r.diffs.length, 'generated file')} rewritten`} (${seconds()})`,
  );
}

const set = program.command('set').description('change what an app runs, in its source of truth');
set
  .command('image')
  .description("pin a container's image in one env (apps/<app>/images.json), regenerate and print the diff")
  .argument('<ref>', 'repo:tag, repo@sha256:<digest>, :tag or @sha256:<digest> (the last two keep the repository)')
  .requiredOption('-a, --app <name>', 'the app')
  .requiredOption('-e, --env <env>', `the environment (${ENVIRONMENTS.join(', ')})`)
  .option('-c, --container <name>', "the container (default: the app's only or main one)")
  .action(async (ref: string, o: { app: string; env: string; container?: string }) => {
    const { setImage } = await import('@strata/pipeline');
    const r = await setImage(findRoot(), { app: o.app, env: o.env, ref, ...(o.container ? { container: o.container } : {}), onWarning });
    await printRelease('set image', r);
  });

program
  .command('promote')
  .description('copy the image pins of apps (all by default) from one env to another, regenerate and print what moved')
  .requiredOption('--from <env>', 'the env whose pins move')
  .requiredOption('--to <env>', 'the env they move to')
  .addOption(appOption())
  .action(async (o: { from: string; to: string; app?: string[] }) => {
    const { promote } = await import('@strata/pipeline');
    const r = await promote(findRoot(), { from: o.from, to: o.to, ...(o.app ? { apps: o.app } : {}), onWarning });
    await printRelease(`promote ${o.from} -> ${o.to}`, r);
  });

program
  .command('ls')
  .description('what runs where: per app and env, the images, replicas or autoscaling range, hosts and components, as the committed overlays build')
  .addOption(appOption())
  .addOption(envOption())
  .addOption(
    new Option('-o, --output <format>', 'output format: text cuts digests to 12 hex digits, wide prints them whole')
      .choices(['text', 'wide', 'json'])
      .default('text'),
  )
  .action(async (o: Common & { output: string }) => {
    const { formatRows, listRows } = await import('@strata/pipeline');
    const rows = await listRows(findRoot(), selection(o));
    if (o.output === 'json') out(JSON.stringify(rows, null, 2));
    else for (const line of formatRows(rows, { wide: o.output === 'wide' })) out(line);
  });

program
  .command('remove-app')
  .description(
    'remove an app and every trace of it (its folder, registration, base, overlays, env roots, gitops entries, topology pictures, dist files, cache) in one atomic step',
  )
  .argument('<name>', 'the app (folder name under apps/)')
  .action(async (name: string) => {
    const { removeApp } = await import('@strata/pipeline');
    const r = await removeApp(findRoot(), name, { onWarning });
    for (const f of r.removed) out(`removed ${f}`);
    for (const f of r.written) out(`wrote ${f}`);
    for (const f of r.foreign) err(`warning: ${f} has no generated header; left alone`);
    out(`remove-app: ${name} removed: ${r.removed.length} files removed, ${r.written.length} rewritten; commit the result (${seconds()})`);
  });

const crd = program.command('crd').description('bring your own CRDs: strict schemas for validate, the CRD for verify, a typed model for apps');

crd
  .command('add')
  .description(
    'add the CustomResourceDefinitions of a YAML file or folder, or of a Go module version (fetched from the Go module proxy): their strict schemas in crds/schemas, the CRDs in crds/, typed models in packages/crd-models; adding again replaces them',
  )
  .argument('<source>', 'a CRD YAML file or folder, or a Go module as <module>@<version>')
  .argument('[folder]', 'for a Go module: the folder inside it that holds the CRDs, such as config/crd/standard')
  .option('--no-models', 'skip the typed models (schemas and CRDs only)')
  .action(async (source: string, folder: string | undefined, o: { models: boolean }) => {
    const { addCrds } = await import('@strata/crds');
    const r = await addCrds(findRoot(), source, folder, { models: o.models, cwd: process.cwd() });
    for (const c of r.crds) out(`added ${c.name} (${c.kind} ${c.versions.join(', ')})`);
    out(
      `crd add: ${nounCount(r.crds.length, 'CRD')} from ${r.from}: ${nounCount(r.written.length, 'file')} written, ${r.removed.length} removed; commit the result (${seconds()})`,
    );
  });

crd
  .command('remove')
  .description(
    'remove CRDs added with crd add, by group (example.com) or name (widgets.example.com), with their schemas and models, in one atomic step',
  )
  .argument('<group-or-name>', 'an API group or a CRD name')
  .action(async (target: string) => {
    const { removeCrds } = await import('@strata/crds');
    const r = removeCrds(findRoot(), target);
    for (const c of r.crds) out(`removed ${c.name}`);
    out(
      `crd remove: ${nounCount(r.crds.length, 'CRD')} removed: ${nounCount(r.removed.length, 'file')} removed, ${r.written.length} rewritten; commit the result (${seconds()})`,
    );
  });

crd
  .command('ls')
  .description('list the CRDs added with crd add')
  .option('-o, --output <format>', 'text or json', 'text')
  .action(async (o: { output: string }) => {
    if (o.output !== 'text' && o.output !== 'json') throw new UsageError(`--output ${o.output}: use text or json`);
    const { listCrds } = await import('@strata/crds');
    const rows = listCrds(findRoot());
    if (o.output === 'json') out(JSON.stringify(rows, null, 2));
    // As kubectl's "No resources found": on stderr, so that a script reading the rows reads none.
    else if (rows.length === 0) err('no CRDs added; add one with `strata crd add <file | module@version folder>`');
    else for (const c of rows) out(`${c.name}\t${c.kind}\t${c.versions.join(',')}\t${c.source}`);
  });

program
  .command('new-app')
  .description('create apps/<name> from a secure template, register it, install and generate its tree')
  .argument('<name>', 'lower-case DNS label; also the folder and the namespace')
  .option('--no-install', 'skip pnpm install and generate (run them yourself afterwards)')
  .action(async (name: string, o: { install: boolean }) => {
    const { newApp } = await import('@strata/pipeline');
    const r = await newApp(findRoot(), name, { install: o.install, onWarning });
    for (const f of r.files) out(`created ${f}`);
    if (r.generated) out(`generated ${r.generated.written.length} files for ${name}`);
    for (const f of r.redrawn) out(`wrote ${f}`);
    out(
      `new-app: apps/${name} is ready${r.generated ? '' : `; next: npx pnpm install && npx strata generate --app ${name}${r.stale.length > 0 ? ' && npm run topology' : ''}`}. Pin your release's image in prod with \`npx strata set image --app ${name} --env prod <repo>:<tag>@sha256:<digest>\` (images.json's all-zero placeholder fails prod's policy); edit src/config.ts and src/env/*.ts, then \`npx strata generate\` (${seconds()})`,
    );
  });

program
  .command('import')
  .description(
    'bring an existing app in as a typed app: each env from a Kustomize folder or plain YAML, proven by round trip before anything is written',
  )
  .argument('[path]', 'a folder with base/ and overlays/<env>/ (instead of --env)')
  .requiredOption('-n, --name <name>', 'the new app (a lower-case DNS label): apps/<name>')
  .option('-e, --env <env=path...>', 'where an env comes from: a Kustomize folder, a YAML file or a folder of YAML (once per env)')
  .option(
    '--secret-store <name[:kind]>',
    'the store the ExternalSecrets that replace Secrets read from (kind: ClusterSecretStore or SecretStore)',
    'secret-store:ClusterSecretStore',
  )
  .option('--no-install', 'skip pnpm install and the full generate (run them yourself afterwards)')
  .action(async (path: string | undefined, o: { name: string; env?: string[]; secretStore: string; install: boolean }) => {
    const { importApp } = await import('@strata/import');
    const r = await importApp(findRoot(), {
      name: o.name,
      ...(path !== undefined ? { path } : {}),
      ...(o.env ? { envs: o.env } : {}),
      secretStore: o.secretStore,
      install: o.install,
      // Paths are typed from the folder the command runs in, as every shell tool takes them.
      cwd: process.cwd(),
    });
    for (const w of r.warnings) err(`warning: ${w}`);
    for (const p of r.policy) err(`policy: ${p}`);
    for (const f of r.files) out(`created ${f}`);
    for (const f of r.redrawn) out(`wrote ${f}`);
    const counts = ENVIRONMENTS.map((e) => `${e} ${r.objects[e]}`).join(', ');
    out(
      `import: apps/${o.name} builds to its sources in every env (objects: ${counts})${r.installed ? '' : `; next: npx pnpm install && npx strata generate`} (${seconds()})`,
    );
  });

program
  .command('graph')
  .description('draw what talks to what in one env (Ingress -> Service -> workload, config, autoscalers, network policy) as SVG or Mermaid')
  .requiredOption('-e, --env <env>', `the environment (${ENVIRONMENTS.join(', ')})`)
  .option('-a, --app <name>', 'only this app')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['svg', 'mermaid']).default('svg'))
  .option('--out <file>', 'write to this file instead of standard output')
  .action(async (o: { env: string; app?: string; output: 'svg' | 'mermaid'; out?: string }) => {
    const { renderEnvGraph, writePicture } = await import('@strata/graph');
    const g = await renderEnvGraph(findRoot(), checkEnv(o.env)!, o.app);
    for (const s of g.skipped) err(`warning: ${s.app} left out: ${s.error}`);
    const text = o.output === 'svg' ? g.svg : g.mermaid;
    if (o.out) writePicture(o.out, text);
    else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    err(
      `graph ${o.env}: ${nounCount(g.apps.length, 'app')}, ${nounCount(g.topology.nodes.length, 'node')}, ${nounCount(g.topology.edges.length, 'edge')}${o.out ? ` -> ${o.out}` : ''} (${seconds()})`,
    );
  });

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
  .option('--namespace <name>', 'the namespace for namespaced objects that name none (default: strata-verify)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
  .action(async (paths: string[], o: Common & { against?: string; namespace?: string; output: OutputFormat }) => {
    const { verifyApps, verifyFiles } = await import('@strata/pipeline');
    if (o.namespace !== undefined && !isDnsLabel(o.namespace)) {
      throw new UsageError(
        `--namespace ${JSON.stringify(o.namespace)}: not a namespace name; use a DNS label (lower-case letters, digits and "-", at most 63 characters)`,
      );
    }
    const common = {
      onPhase: onVerifyPhase,
      // The one-time build of the servers (minutes): its progress lines as they come.
      onProgress: (line: string) => err(line),
      defaultNamespace: o.namespace,
      against: o.against,
    };
    if (paths.length > 0 && (o.env || o.app)) throw new UsageError("--env and --app select the apps' built output; leave them out when naming files");
    const r =
      paths.length > 0
        ? await verifyFiles(findRootOrCwd(), paths, { ...common, cwd: process.cwd() })
        : await verifyApps(findRoot(), { ...common, env: o.env, app: o.app, cwd: process.cwd() });
    // On stderr, as the phases: a report on stdout stays one document.
    printServer(r);
    const summary = summarize(r.problems, r.objects);
    const report = { problems: r.problems, summary, suite: 'strata verify', phases: r.phases };
    if (o.output !== 'text') out(formatReport(o.output, report, VERSION, (await import('@strata/validate')).ruleHelp));
    else {
      for (const line of problemLines(r.problems)) out(line);
      out(`verify: ${formatSummary(summary)} (${seconds()})`);
    }
    if (summary.errors > 0) process.exitCode = EXIT.invalid;
  });

/** verify's phases as they end, on stderr. */
const onVerifyPhase = (name: string, ms: number) => err(`verify: ${name} ${(ms / 1000).toFixed(2)}s`);

/** The server a verify run used, and what a server of its version cannot say for the envs, on stderr. */
function printServer(r: VerifyReport): void {
  err(`verify: server is Kubernetes ${r.serverVersion}`);
  for (const note of r.notes) err(`verify: ${note}`);
}

program
  .command('ci')
  .description(
    'the CI gate in one process: the pipeline, frozen (drift fails it, changing nothing), with everything check compares, ' +
      'then what it built dry-run applied from memory to a throw-away kube-apiserver started while the pipeline runs',
  )
  .option('--no-cache', 'render, build and validate every app, reusing nothing of an earlier pipeline')
  .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
  .action(async (o: { cache: boolean; output: OutputFormat }) => {
    const root = findRoot();
    const { DriftError, driftProblems, failOnToolFailures, gate, gateProblems, selectOverlays } = await import('@strata/pipeline');
    const text = o.output === 'text';
    const step = text ? progress('build', o.cache ? 0 : selectOverlays(root).length) : undefined;
    // A report on stdout stays one document: its lines are for text output only.
    const report = async (problems: Parameters<typeof summarize>[0], resources: number, phases?: Record<string, number>) => {
      if (o.output === 'text') return;
      const { ruleHelp } = await import('@strata/validate');
      out(
        formatReport(
          o.output,
          { problems, summary: summarize(problems, resources), suite: 'strata ci', ...(phases ? { phases } : {}) },
          VERSION,
          ruleHelp,
        ),
      );
    };
    let pipelined: ReturnType<typeof printPipeline> | undefined;
    let r;
    try {
      r = await gate(root, {
        cache: o.cache,
        onWarning,
        ...(step ? { onBuild: (b) => step(b.overlay, b.ok, b.millis) } : {}),
        // As soon as it is in: the dry run takes seconds more.
        onPipeline: (p) => {
          // A report's notes go to stderr, as validate's do.
          if (!text) for (const note of p.notes) err(note);
          pipelined = text ? printPipeline(p) : pipelineCounts(p);
        },
        onPhase: onVerifyPhase,
        onProgress: (line) => err(line),
      });
    } catch (e) {
      if (!(e instanceof DriftError)) {
        if (o.output !== 'text') out(reportError(o.output, ['.'], e, VERSION, (await import('@strata/validate')).ruleHelp, 'strata ci'));
        throw e;
      }
      process.exitCode = EXIT.invalid;
      if (!text) return report(driftProblems(e), 0);
      // As check reports drift; nothing was written, built or applied.
      printDrift(e.drift);
      const files = e.changes.written.length + e.changes.removed.length;
      out(
        `ci: failed: ${files} generated file${files === 1 ? ' is' : 's are'} not what the code generates; nothing was written, built or applied (${seconds()})`,
      );
      printDriftHints(e.drift, e.imageEdits);
      return;
    }
    const p = pipelined!;
    if (r.verified) printServer(r.verified);
    else err(`verify: ${r.notVerified}`);
    const verified = r.verified ? summarize(r.verified.problems, r.verified.objects) : undefined;
    if (text && r.verified && verified) {
      for (const line of problemLines(r.verified.problems)) out(line);
      out(`verify: ${formatSummary(verified)} (${seconds()})`);
    }
    const found = [
      counted(p.notBuilt, 'overlay that did not build', 'overlays that did not build'),
      counted(p.problems, 'validation error', 'validation errors'),
      counted(p.compared, 'round-trip, patch or env-root finding', 'round-trip, patch or env-root findings'),
      counted(verified?.errors ?? 0, 'error from the API server', 'errors from the API server'),
    ].filter((x) => x !== undefined);
    const applied = r.verified ? ` and ${r.verified.objects} dry-run applied` : '';
    if (text)
      out(
        found.length === 0
          ? `ci: passed: ${nounCount(r.pipeline.apps, 'app')} x ${ENVIRONMENTS.length} envs, ${p.resources} resources generated, built, validated${applied} (${seconds()})`
          : `ci: failed: ${found.join(', ')} (${seconds()})`,
      );
    else {
      const { phases } = r.pipeline;
      const ms = (s: number) => Math.round(s * 1000);
      await report(gateProblems(r), p.resources, {
        generate: ms(phases.generate),
        build: ms(phases.build),
        validate: ms(phases.validate),
        ...(r.verified?.phases ?? {}),
      });
    }
    failOnToolFailures(r.pipeline.built.results);
    if (found.length > 0) process.exitCode = EXIT.invalid;
  });

const counted = (n: number, one: string, many: string) => (n === 0 ? undefined : `${n} ${n === 1 ? one : many}`);

/** The flags each command was given in this run, by option: what strictOptions judges repeats by. */
let given = new Map<Command, Map<string, { flags: string[]; values: string[] }>>();

/**
 * The usage rules commander leaves to its caller, on every option of every command: a value is
 * never empty (`--env ''` is no env, not every env), an option that takes one value is given once
 * (commander would keep the last silently; one that takes a list, such as generate's --app or
 * import's --env, adds up, as kubectl's list flags do), and --foo and --no-foo are not both given.
 * Each breach is one usage line, exit 2, before the command runs.
 */
function strictOptions(cmd: Command): void {
  const path = () => {
    const names: string[] = [];
    for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
    return names.join(' ');
  };
  for (const opt of cmd.options) {
    const flag = opt.long ?? opt.short ?? opt.flags;
    cmd.on(`option:${opt.name()}`, (value?: string) => {
      const byName = given.get(cmd) ?? new Map<string, { flags: string[]; values: string[] }>();
      given.set(cmd, byName);
      const name = opt.attributeName();
      const seen = byName.get(name) ?? { flags: [], values: [] };
      byName.set(name, seen);
      if (value === '') cmd.error(`${path()}: ${flag}: empty value; give one, or leave the option out`);
      // A flag that takes no value: --foo, or --no-foo (which commander does not count as boolean).
      if (!opt.required && !opt.optional) {
        const other = seen.flags.find((f) => f !== flag);
        if (other) cmd.error(`${path()}: ${other} and ${flag} contradict each other; give one of them`);
      } else if (!opt.variadic && seen.values.length > 0) {
        cmd.error(`${path()}: ${flag} given twice (${seen.values[0]}, then ${value}); it takes one value, so give it once`);
      }
      seen.flags.push(flag);
      if (value !== undefined) seen.values.push(value);
    });
  }
  for (const sub of cmd.commands) strictOptions(sub);
}
strictOptions(program);

export async function main(argv: readonly string[]): Promise<void> {
  given = new Map();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    // --help and --version end here with code 0; commander printed its own parse errors, and a
    // report format still gets its one document, the mistake its one problem.
    const format = e instanceof CommanderError && e.exitCode !== 0 ? outputFormatIn(argv) : undefined;
    if (format) {
      const mistake = new UsageError(usageLine((e as CommanderError).message).replace(/^strata: /, ''));
      out(reportError(format, ['.'], mistake, VERSION, (await import('@strata/validate')).ruleHelp));
    }
    if (!(e instanceof CommanderError)) {
      for (const line of errorLines(e)) err(`strata: ${line}`);
      if (process.env.STRATA_DEBUG) err((e as Error).stack ?? '');
    }
    process.exitCode = exitCodeFor(e);
  }
}
