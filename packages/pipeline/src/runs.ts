import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findRoot, findRootOrCwd, UsageError } from '@strata/project';
import type { ValidateOptions, ValidateResult } from '@strata/validate';
import type { OutputFormat, Report } from '@strata/validate/formats';
import type { Summary } from '@strata/validate/report';
import type { ServerOptions } from '@strata/verify';
import { validateBuilt, validateFiles, type VerifyReport, verifyApps, verifyFiles } from './verify.ts';

/** How a command that prints a report in a document format reports a run that cannot start or finish. */
export interface FailureReporting {
  /** The command's output format; `text` adds nothing to the error. */
  readonly format: OutputFormat;
  /** strata's version, which the report names. */
  readonly version: string;
  /** Takes the report's one document, for the caller to print on stdout, before the error is raised again. */
  readonly onReport: (document: string) => void;
}

/**
 * The report of a run that could not start or finish, in a document format (none for `text`): a
 * report format promises one valid document on stdout, so a CI step that uploads it names the mistake
 * instead of failing on an empty file; the error is its one problem, about `inputs`.
 */
export async function failureReport(
  format: OutputFormat,
  inputs: readonly string[],
  error: unknown,
  version: string,
  suite: string,
): Promise<string | undefined> {
  if (format === 'text') return undefined;
  const [{ reportError }, { ruleHelp }] = await Promise.all([import('@strata/validate/formats'), import('@strata/validate')]);
  return reportError(format, inputs, error, version, ruleHelp, suite);
}

/** What a command found, to print as its result: the findings, what they were about, and what it says beside them. */
export interface ResultReport extends Omit<Report, 'summary'> {
  /** The objects judged, which the summary counts. */
  readonly resources: number;
  /** The checks that did not run (see `Summary.skipped`). @default none */
  readonly skipped?: readonly string[];
}

/** How a result is printed. */
export interface ResultFormat {
  readonly format: OutputFormat;
  readonly version: string;
  /** Text only: what its summary line starts with (`validate: `) and ends with (the time taken). */
  readonly label: string;
  readonly elapsed: string;
  /** Text only: each finding an app's policy exception waives, on its own line. @default counted in one line */
  readonly listExcepted?: boolean;
}

/**
 * A command's result as it prints it on stdout, with its summary: in text, one line per finding
 * and the summary line; in a document format, the report as its one document.
 */
export async function resultReport(r: ResultReport, how: ResultFormat): Promise<{ lines: string[]; summary: Summary }> {
  const { formatSummary, problemLines, summarize } = await import('@strata/validate/report');
  const summary = summarize(r.problems, r.resources, r.skipped);
  if (how.format === 'text')
    return { lines: [...problemLines(r.problems, how.listExcepted), `${how.label}${formatSummary(summary)} (${how.elapsed})`], summary };
  const [{ formatReport }, { ruleHelp }] = await Promise.all([import('@strata/validate/formats'), import('@strata/validate')]);
  const report: Report = {
    problems: r.problems,
    summary,
    suite: r.suite,
    ...(r.objects ? { objects: r.objects } : {}),
    ...(r.phases ? { phases: r.phases } : {}),
    ...(r.notes?.length ? { notes: r.notes } : {}),
  };
  return { lines: [formatReport(how.format, report, how.version, ruleHelp)], summary };
}

/** Runs `run`; when it throws, hands `failureReport` of the error to `onReport` and raises the error again. */
async function reportingFailure<T>(run: () => Promise<T>, inputs: readonly string[], suite: string, reporting: FailureReporting): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const document = await failureReport(reporting.format, inputs, e, reporting.version, suite);
    if (document !== undefined) reporting.onReport(document);
    throw e;
  }
}

export interface ValidateRunOptions extends ValidateOptions {
  /** Pass when the inputs hold no Kubernetes object. @default false */
  readonly allowEmpty?: boolean;
  /** The folder that named files are named from, as every shell tool names them. */
  readonly cwd?: string;
}

/**
 * `strata validate [PATH...]`: the built output of the workspace at `root` when no path is named
 * (`validateBuilt`), else the files, folders or stdin named (`validateFiles`); a run that cannot
 * start or finish is reported as `reporting` says.
 */
export function validateRun(
  root: string,
  paths: readonly string[],
  options: ValidateRunOptions,
  reporting: FailureReporting,
): Promise<ValidateResult> {
  const { cwd, ...rest } = options;
  const inputs = paths.length > 0 ? paths : ['dist'];
  return reportingFailure(
    async () => {
      if (paths.length === 0 && !existsSync(join(root, 'dist')))
        throw new UsageError('no dist/ to validate: build it first (npm run build, or npx strata build), or name the files to validate');
      // Built output, named or not, is judged with a word on each file that is not what its overlay builds now.
      return paths.length === 0 ? validateBuilt(root, rest) : validateFiles(root, inputs, { ...rest, ...(cwd !== undefined ? { cwd } : {}) });
    },
    inputs,
    'strata validate',
    reporting,
  );
}

export interface VerifyRunOptions extends Pick<ServerOptions, 'onPhase' | 'onProgress'> {
  /** One environment of the apps' built output (not with named files). */
  readonly env?: string;
  /** Only these apps' built output (not with named files). */
  readonly app?: readonly string[];
  /** A git ref or folder of built manifests to check the run as an upgrade of. */
  readonly against?: string;
  /** The namespace for namespaced objects that name none, as typed (`--namespace`). */
  readonly namespace?: string;
  readonly allowEmpty?: boolean;
  /** The folder the command runs in, which named files and `against` are named from. */
  readonly cwd: string;
}

/**
 * `strata verify [PATH... | -]`: the files, folders or stdin named (`verifyFiles`, in the workspace
 * around `cwd` or else `cwd`), or the apps' built output of the workspace (`verifyApps`); a run that
 * cannot start (an unknown env or app, a missing file, a namespace that is no namespace name, a
 * tool that fails) is reported as `reporting` says.
 */
export function verifyRun(paths: readonly string[], options: VerifyRunOptions, reporting: FailureReporting): Promise<VerifyReport> {
  const { env, app, namespace, allowEmpty, cwd, ...rest } = options;
  return reportingFailure(
    async () => {
      if (namespace !== undefined) (await import('@strata/verify')).checkDefaultNamespace(namespace, '--namespace');
      const common = { ...rest, defaultNamespace: namespace, cwd, allowEmpty: Boolean(allowEmpty) };
      if (paths.length > 0 && (env || app)) throw new UsageError("--env and --app select the apps' built output; leave them out when naming files");
      return paths.length > 0 ? verifyFiles(findRootOrCwd(cwd), paths, common) : verifyApps(findRoot(cwd), { ...common, env, app });
    },
    paths.length > 0 ? paths : ['dist'],
    'strata verify',
    reporting,
  );
}
