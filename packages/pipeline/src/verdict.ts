import { ENVIRONMENTS } from '@strata/core';
import type { TreeChanges } from '@strata/emit';
import { ToolError } from '@strata/project';
import { formatSummary, skippedSuffix, summarize } from '@strata/validate/report';
import { failOnToolFailures, type BuildOutcome } from './build.ts';
import type { CheckResult } from './check.ts';
import type { PipelineResult } from './pipeline.ts';
import type { VerifyReport } from './verify.ts';

/**
 * How a run ends: `passed` when it found nothing, `failed` when the input is invalid, `unjudged` when
 * a tool failed on part of the input without judging it (whatever else was found: the input was not
 * all looked at, so no verdict on it holds).
 */
export type Outcome = 'passed' | 'failed' | 'unjudged';

export interface Verdict {
  readonly outcome: Outcome;
  /** When `unjudged`: the error that says what was not judged, for the caller to raise once the results are shown. */
  readonly unjudged?: ToolError;
}

/** The errors a pipeline found, by kind. */
export interface PipelineVerdict extends Verdict {
  /** Overlays that did not build. */
  readonly notBuilt: number;
  /** Validation errors (excepted problems and warnings not counted). */
  readonly problems: number;
  /** Findings of check's comparisons: round-trip mismatches, patches that match nothing, env-root collisions. */
  readonly compared: number;
  /** Folders under base/ and overlays/ of no app (or env) that hold files written by hand. */
  readonly strayFolders: number;
  /** Registrations in package.json and pnpm-lock.yaml of apps whose folder is gone. */
  readonly strayRegistrations: number;
  /** Files in the generated folders that nothing builds or checks (Argo CD source files, files without the header). */
  readonly handWritten: number;
  /** All of the above. */
  readonly errors: number;
  /** The objects judged: the apps' and gitops/'s, whose problems are counted with the apps'. */
  readonly resources: number;
}

/** A gate run's errors: the pipeline's, and the API server's refusals. */
export interface GateVerdict extends PipelineVerdict {
  /** Errors from the API server's dry run (0 when there was none). */
  readonly serverErrors: number;
}

/**
 * A check's findings: drift, round-trip mismatches, build failures, patches that match nothing, env-root collisions, folders of no
 * app, files that nothing builds or checks.
 */
export interface CheckVerdict extends Verdict {
  readonly findings: number;
}

/** A build's verdict: an overlay that did not build fails it. */
export interface BuildVerdict extends Verdict {
  readonly notBuilt: number;
}

/** The error of failOnToolFailures, which holds its one wording, as a value. */
function toolFailure(results: Parameters<typeof failOnToolFailures>[0], overlays?: number): ToolError | undefined {
  try {
    failOnToolFailures(results, overlays);
    return undefined;
  } catch (e) {
    if (e instanceof ToolError) return e;
    throw e;
  }
}

function decide(errors: number, unjudged: ToolError | undefined): Verdict {
  if (unjudged) return { outcome: 'unjudged', unjudged };
  return { outcome: errors > 0 ? 'failed' : 'passed' };
}

type PipelineFindings = Pick<
  PipelineResult,
  'built' | 'problems' | 'resources' | 'roundTrip' | 'unmatchedPatches' | 'envRootCollisions' | 'strayFolders' | 'strayRegistrations' | 'handWritten'
> &
  Partial<Pick<PipelineResult, 'gitops'>>;

/** The objects a pipeline judged, which its summaries count: the apps' and gitops/'s, as its problems are those of both. */
const judgedResources = (r: Pick<PipelineFindings, 'resources' | 'gitops'>) => r.resources + (r.gitops?.resources ?? 0);

/** What `strata pipeline` found, and whether it passed. */
export function pipelineVerdict(r: PipelineFindings): PipelineVerdict {
  const notBuilt = r.built.failed;
  const resources = judgedResources(r);
  const problems = summarize(r.problems, resources).errors;
  const compared = r.unmatchedPatches.length + r.roundTrip.length + r.envRootCollisions.length;
  const strayFolders = r.strayFolders.length;
  const strayRegistrations = r.strayRegistrations.length;
  const handWritten = r.handWritten.length;
  const errors = notBuilt + problems + compared + strayFolders + strayRegistrations + handWritten;
  return {
    ...decide(errors, toolFailure(r.built.results)),
    notBuilt,
    problems,
    compared,
    strayFolders,
    strayRegistrations,
    handWritten,
    errors,
    resources,
  };
}

/** What `strata ci` found: the pipeline's errors and the API server's, and whether it passed. */
export function gateVerdict(r: { readonly pipeline: PipelineFindings; readonly verified?: Pick<VerifyReport, 'problems' | 'objects'> }): GateVerdict {
  const p = pipelineVerdict(r.pipeline);
  const serverErrors = r.verified ? summarize(r.verified.problems, r.verified.objects).errors : 0;
  const errors = p.errors + serverErrors;
  return { ...p, ...decide(errors, p.unjudged), serverErrors, errors };
}

/** What `strata check` found, and whether it passed. */
export function checkVerdict(
  r: Pick<
    CheckResult,
    | 'drift'
    | 'roundTrip'
    | 'buildFailures'
    | 'unmatchedPatches'
    | 'envRootCollisions'
    | 'strayFolders'
    | 'strayRegistrations'
    | 'handWritten'
    | 'overlays'
    | 'envRoots'
  >,
): CheckVerdict {
  const findings =
    r.drift.length +
    r.roundTrip.length +
    r.buildFailures.length +
    r.unmatchedPatches.length +
    r.envRootCollisions.length +
    r.strayFolders.length +
    r.strayRegistrations.length +
    r.handWritten.length;
  return { ...decide(findings, toolFailure(r.buildFailures, r.overlays + r.envRoots)), findings };
}

/** What `strata build` found, and whether it passed. */
export function buildVerdict(r: Pick<BuildOutcome, 'results' | 'failed'>): BuildVerdict {
  return { ...decide(r.failed, toolFailure(r.results)), notBuilt: r.failed };
}

/** A verify run's errors: the API server's refusals and what could not be read. */
export interface VerifyVerdict extends Verdict {
  readonly errors: number;
}

/** What `strata verify` found, and whether it passed. */
export function verifyVerdict(r: Pick<VerifyReport, 'problems' | 'objects'>): VerifyVerdict {
  const errors = summarize(r.problems, r.objects).errors;
  return { ...decide(errors, undefined), errors };
}

/** `1 app`, `2 apps`: a count with its noun. */
const nounCount = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The line a `strata ci` run ends with, but for the time it took: what it did when it passed, else
 * each kind of error it found, counted (an unjudged run ends as a failed one, its tool error after).
 */
export function gateSummary(
  r: {
    readonly pipeline: Pick<PipelineResult, 'apps'> & Partial<Pick<PipelineResult, 'gitops'>>;
    readonly verified?: Pick<VerifyReport, 'objects' | 'upgrades'>;
    readonly against?: string;
  },
  v: GateVerdict,
): string {
  if (v.outcome === 'passed') {
    // How many had a baseline, not only that there was a ref: a ref that lacks most apps checks little as an upgrade.
    const upgrades = r.against !== undefined ? `, ${r.verified?.upgrades ?? 0} of them as upgrades of ${r.against}` : '';
    const applied = r.verified ? ` and ${r.verified.objects} dry-run applied${upgrades}` : '';
    // gitops/'s objects, validated and applied with the apps' own, are counted in the verdict's.
    const what = `${nounCount(r.pipeline.apps, 'app')} x ${ENVIRONMENTS.length} envs${r.pipeline.gitops ? ' and gitops/' : ''}`;
    return `ci: passed: ${what}, ${v.resources} resources generated, built, validated${applied}`;
  }
  const found = [
    [v.notBuilt, 'overlay that did not build', 'overlays that did not build'],
    [v.problems, 'validation error'],
    [v.compared, 'round-trip, patch or env-root finding'],
    [v.strayFolders, 'folder of no app', 'folders of no app'],
    [v.strayRegistrations, 'registration of no app', 'registrations of no app'],
    [v.handWritten, 'file nothing builds or checks', 'files nothing builds or checks'],
    [v.serverErrors, 'error from the API server', 'errors from the API server'],
  ] as const;
  return `ci: failed: ${found.flatMap(([n, one, many]) => (n === 0 ? [] : [nounCount(n, one, many)])).join(', ')}`;
}

/**
 * The line a `strata check` run ends with, but for the time it took: what it compared (files, app
 * overlays, of them those compared as the last pipeline did, and env roots, proven from their apps or
 * built), and what it found, counted; folders and registrations of no app and files nothing builds
 * or checks only when there are any.
 */
export function checkSummary(
  r: Pick<
    CheckResult,
    | 'files'
    | 'overlays'
    | 'reused'
    | 'envRoots'
    | 'envRootsBuilt'
    | 'drift'
    | 'roundTrip'
    | 'buildFailures'
    | 'strayFolders'
    | 'strayRegistrations'
    | 'handWritten'
  >,
): string {
  const reused = r.reused > 0 ? ` (${r.reused} as the last pipeline compared them)` : '';
  const proven = r.envRoots - r.envRootsBuilt;
  const optional = (
    [
      [r.strayFolders.length, 'folder of no app', 'folders of no app'],
      [r.strayRegistrations.length, 'registration of no app', 'registrations of no app'],
      [r.handWritten.length, 'file nothing builds or checks', 'files nothing builds or checks'],
    ] as const
  ).flatMap(([n, one, many]) => (n > 0 ? [`, ${nounCount(n, one, many)}`] : []));
  return (
    `check: ${r.files} files, ${r.overlays} app overlays${reused} and ${r.envRoots} env roots (${proven} proven from their apps, ${r.envRootsBuilt} built): ` +
    `${r.drift.length} drifted, ${nounCount(r.roundTrip.length, 'round-trip mismatch', 'round-trip mismatches')}, ${nounCount(r.buildFailures.length, 'build failure')}` +
    optional.join('')
  );
}

/**
 * The line a `strata pipeline` run ends with, but for the time it took: validation's summary when
 * nothing else was found; else every finding counted, overlays that did not build, round-trip
 * mismatches, patches that match nothing and env-root collisions first, so that a failed run never
 * ends saying it found no problems; and which checks did not run, so that a run without them never
 * passes for one that found nothing with them.
 */
export function pipelineSummary(r: PipelineFindings & Pick<PipelineResult, 'apps' | 'skipped'>): string {
  const head = `pipeline: ${nounCount(r.apps, 'app')} x ${ENVIRONMENTS.length} envs: `;
  const judged = judgedResources(r);
  const s = summarize(r.problems, judged, r.skipped);
  const found = (
    [
      [r.built.failed, 'overlay that did not build', 'overlays that did not build'],
      [r.roundTrip.length, 'round-trip mismatch', 'round-trip mismatches'],
      [r.unmatchedPatches.length, 'patch that matches nothing', 'patches that match nothing'],
      [r.envRootCollisions.length, 'env-root collision'],
      [r.strayFolders.length, 'folder of no app', 'folders of no app'],
      [r.strayRegistrations.length, 'registration of no app', 'registrations of no app'],
      [r.handWritten.length, 'file nothing builds or checks', 'files nothing builds or checks'],
    ] as const
  ).filter(([n]) => n > 0);
  if (found.length === 0) return `${head}${formatSummary(s)}`;
  const total = found.reduce((n, [count]) => n + count, s.problems);
  const resources = nounCount(judged, 'resource');
  const excepted = s.excepted > 0 ? `, ${s.excepted} excepted with a reason` : '';
  const validation =
    s.problems === 0
      ? `no validation problems in ${resources}`
      : `${nounCount(s.problems, 'validation problem')}${s.warnings > 0 ? ` (${nounCount(s.errors, 'error')}, ${nounCount(s.warnings, 'warning')})` : ''} in ${s.resourcesWithProblems} of ${resources}`;
  return `${head}Found ${nounCount(total, 'problem')}: ${found.map(([n, one, many]) => nounCount(n, one, many)).join(', ')}, and ${validation}${excepted}${skippedSuffix(s)}`;
}

/**
 * The line a `strata ci` run ends with, but for the time it took, when the committed tree is not what
 * the code generates, or a committed topology picture is not what that tree draws.
 */
export function gateDriftSummary(e: {
  readonly changes: Pick<TreeChanges, 'written' | 'removed'>;
  readonly drift?: readonly { readonly picture?: true }[];
}): string {
  const files = e.changes.written.length + e.changes.removed.length;
  const pictures = (e.drift ?? []).filter((d) => d.picture).length;
  const found = [
    ...(files > 0 ? [`${files} generated file${files === 1 ? ' is' : 's are'} not what the code generates`] : []),
    ...(pictures > 0 ? [`${pictures} topology picture${pictures === 1 ? ' is' : 's are'} not what the generated tree draws`] : []),
  ];
  return `ci: failed: ${found.join(', and ')}; nothing was written, built or applied`;
}

/** How long each phase of a `strata ci` run took, in milliseconds, in the order they ran: the pipeline's, then the dry run's. */
export function gatePhases(r: {
  readonly pipeline: Pick<PipelineResult, 'phases'>;
  readonly verified?: Pick<VerifyReport, 'phases'>;
}): Record<string, number> {
  const { phases } = r.pipeline;
  const ms = (s: number) => Math.round(s * 1000);
  return { generate: ms(phases.generate), build: ms(phases.build), validate: ms(phases.validate), ...(r.verified?.phases ?? {}) };
}
