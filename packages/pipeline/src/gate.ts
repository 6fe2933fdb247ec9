import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BuildResult } from '@strata/kustomize';
import { Layout, type Problem, type WarningOptions } from '@strata/project';
import type { Group, Server, VerifyDocument } from '@strata/verify';
import type { EnvRootCollisionError } from './findings.ts';
import { pipeline, type DriftError, type PipelineResult } from './pipeline.ts';
import { describeImageEdit } from './image-drift.ts';
import { gitopsFiles, gitopsFolders } from './gitops-checks.ts';
import { LINE_ENDINGS_FIX, LINE_ENDINGS_ONLY } from './check.ts';
import { pipelineVerdict } from './verdict.ts';
import { notAppliedNotes, type VerifyReport } from './verify.ts';

export interface GateOptions extends WarningOptions {
  /** Reuse what an earlier pipeline did for apps that have not changed. @default true */
  readonly cache?: boolean;
  readonly onBuild?: (r: BuildResult) => void;
  /** Called with the pipeline's result as soon as it is in, before the dry run begins (to show it meanwhile). */
  readonly onPipeline?: (r: PipelineResult) => void;
  /** Called as each phase of the dry run ends, with its duration in milliseconds. */
  readonly onPhase?: (name: string, ms: number) => void;
  /** Progress lines of the one-time server build (minutes, once per machine), for the caller to show. */
  readonly onProgress?: (line: string) => void;
  /** Called once the API server is up, e.g. to record its process ids. */
  readonly onServer?: (server: Server) => void;
  /**
   * A git ref (the merge base with the target branch, say): what it builds is applied for real on the
   * same server once the dry run is done, and everything the pipeline built is checked as an upgrade
   * of it, as `strata verify --against` checks dist/, so changes a cluster refuses on update (a
   * Deployment's selector, a StatefulSet's volumeClaimTemplates) fail the gate. One that is not a
   * commit is a `UsageError` before anything runs.
   */
  readonly against?: string;
}

export interface GateResult {
  readonly pipeline: PipelineResult;
  /**
   * The server-side dry run of what the pipeline built, as `strata verify` reports it. Undefined
   * when the pipeline failed on a machine whose API server binaries were not built yet: the run
   * does not wait minutes for their build to report a failure it has already found (`notVerified` says so).
   */
  readonly verified?: VerifyReport;
  /** Why there was no dry run, in one line that says how to have one. */
  readonly notVerified?: string;
  /** The git ref whose build the dry run checked an upgrade of (`GateOptions.against`), when there was one. */
  readonly against?: string;
}

/** The group of the dry run that holds gitops/'s objects. */
const GITOPS_GROUP = 'gitops';

/**
 * The gitops/ folders of a ref's exported tree (`tree`), as a person applied them at that ref, a
 * group of their own as the gate applies this run's: each env's Argo CD folder and Flux folder, their
 * files as `gitopsFiles` lists them, read by `read` (verify's `readBuilt`). A folder or file that
 * cannot be read as objects is no baseline: left out, what this run has of it is checked as created.
 */
function refGitops(tree: string, read: (text: string, file: string) => VerifyDocument[]): Group[] {
  const top = join(tree, Layout.gitops);
  if (!existsSync(top)) return [];
  const paths = readdirSync(top, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(tree, join(e.parentPath, e.name)));
  const docs = gitopsFolders(paths).flatMap((folder) => {
    try {
      return gitopsFiles(tree, [folder]).flatMap((file) => {
        try {
          return read(readFileSync(join(tree, file), 'utf8'), file);
        } catch {
          return [];
        }
      });
    } catch {
      return [];
    }
  });
  return docs.length > 0 ? [{ name: GITOPS_GROUP, docs }] : [];
}

/** Whether a pipeline found an error: an overlay that did not build, a validation error, or a finding of check's comparisons. */
export function pipelineFailed(r: Parameters<typeof pipelineVerdict>[0]): boolean {
  return pipelineVerdict(r).outcome !== 'passed';
}

/** `<file>: <message>` (the comparisons' lines) as a problem of `rule`. */
function lineProblem(line: string, rule: string): Problem {
  const at = line.indexOf(': ');
  return { file: at < 0 ? '' : line.slice(0, at), message: at < 0 ? line : line.slice(at + 2), rule, severity: 'error' };
}

/**
 * Everything a gate run found, as problems (the shape `strata validate` and `strata verify` report,
 * for `--output json`, JUnit and SARIF): the pipeline's validation, each overlay that did not build
 * (at the overlay, rule `kustomize-build`), the comparisons of check (`round-trip`, `unmatched-patch`,
 * `env-root`, `stray-folder`, `stray-registration`, `hand-written-file`), then the API server's refusals.
 */
export function gateProblems(r: GateResult): Problem[] {
  const p = r.pipeline;
  return [
    ...p.built.results
      .filter((b) => !b.ok)
      .map((b): Problem => ({ file: b.overlay, message: `kustomize build failed: ${b.error ?? ''}`, rule: 'kustomize-build', severity: 'error' })),
    ...p.problems,
    ...p.roundTrip.map(
      (m): Problem => ({
        file: m.overlay,
        message: `${m.id}: kustomize build differs from the render:\n${m.diff.trimEnd()}`,
        rule: 'round-trip',
        severity: 'error',
      }),
    ),
    ...p.unmatchedPatches.map((l) => lineProblem(l, 'unmatched-patch')),
    ...p.envRootCollisions.map((l) => lineProblem(l, 'env-root')),
    ...p.strayFolders.map((l) => lineProblem(l, 'stray-folder')),
    ...p.strayRegistrations.map((l) => lineProblem(l, 'stray-registration')),
    ...p.handWritten.map((l) => lineProblem(l, 'hand-written-file')),
    ...(r.verified?.problems ?? []),
  ];
}

/** Objects two apps of an env share, which refused the run before anything was written, as problems at the env root: rule `env-root`. */
export function collisionProblems(e: EnvRootCollisionError): Problem[] {
  return e.collisions.map((l) => lineProblem(l, 'env-root'));
}

/**
 * A committed tree that is not what the code generates, or a topology picture that is not what that
 * tree draws, as problems: one per file, rule `drift`, with the command that mends it.
 */
export function driftProblems(e: DriftError): Problem[] {
  return e.drift.map((d) => {
    const edit = e.imageEdits.find((i) => i.file === d.file);
    const message = edit
      ? describeImageEdit(edit)
          .slice(`${d.file}: `.length)
          .replace(/:\n {2}/, ': ')
      : d.picture
        ? d.diff.slice(`${d.file}: `.length)
        : d.lineEndings
          ? `${LINE_ENDINGS_ONLY}; ${LINE_ENDINGS_FIX}`
          : d.kind === 'stale'
            ? 'no app generates this file; run `npx strata generate` (it removes it) and commit the result'
            : `${d.kind === 'missing' ? 'missing' : 'not what the code generates'}; run \`npx strata generate\` and commit the result`;
    return { file: d.file, message, rule: 'drift', severity: 'error' };
  });
}

/**
 * `strata ci`: the CI gate in one process. The throw-away API server starts first, so that its start
 * overlaps the pipeline; the pipeline runs frozen (a committed tree that is not what the code
 * generates, or a committed topology picture that it would not draw, throws `DriftError`, naming each
 * file, and nothing is written), with all it checks (the build, validation, the round trip, patches
 * that match nothing, env roots, folders of no app); then what it built is
 * dry-run applied on that server from memory, each object at its dist/ file and line, for every env at
 * once, and so are the gitops/ folders the pipeline validated, a group of their own, as a person
 * applies them to bootstrap Argo CD and Flux (with their CRDs, in the namespaces they name). An
 * overlay that did not build is not applied; the rest is, whatever the pipeline found, so the report
 * is complete. The server is stopped however the run ends.
 *
 * With `against`, the ref's committed overlays are built while the server starts, applied for real
 * after the dry run, and what the pipeline built is checked as an upgrade of them (`verifyGroups`):
 * the current tree is built once, by the pipeline. So is gitops/, over the ref's committed gitops/
 * folders (`refGitops`), as a person applies it again over the bootstrap of the ref, or Flux syncs
 * it: each of its objects that the ref had is checked as an upgrade, the others as created.
 *
 * What `check` would add after a frozen pipeline is nothing: drift failed the run already, and the
 * comparisons are the pipeline's own. What `verify` would add is reading and parsing dist/ again, and
 * a server started only then.
 */
export async function gate(workspace: string, options: GateOptions = {}): Promise<GateResult> {
  const root = realpathSync(workspace);
  const { builtDocuments, checkRef, readBuilt, serversReady, startVerifyServer, verifyGroups } = await import('@strata/verify');
  // Before the pipeline's minutes: a ref this clone lacks (not fetched, a shallow clone) is the caller's to mend.
  if (options.against !== undefined) checkRef(root, options.against);
  const { kubernetesSettings, serverVersionNotes } = await import('@strata/validate');
  // Read first: the server starts with the clusters' node port range.
  const settings = kubernetesSettings(root);
  const start = () => {
    const server = startVerifyServer(options.onProgress, settings.serviceNodePortRange);
    // Awaited once the pipeline is done; a failed start must not crash the run meanwhile.
    server.then(options.onServer, () => undefined);
    return server;
  };
  // Built binaries: the server starts while the pipeline runs. Not built yet (minutes, once per
  // machine): they are built once the pipeline passed, so that a failing pipeline (drift included)
  // is reported at once instead of after the build.
  let starting = serversReady() ? start() : undefined;
  try {
    // The offline copy of the server's field checks judges only what the dry run below leaves out
    // (objects Argo CD never applies, which `kubectl apply -k` still applies): the rest is dry-run
    // applied to a real server of the same release, which makes those checks itself.
    const run = await pipeline(root, {
      cache: options.cache,
      onBuild: options.onBuild,
      onWarning: options.onWarning,
      onProgress: options.onProgress,
      frozen: true,
      serverChecks: 'unapplied',
    });
    options.onPipeline?.(run);
    if (!starting) {
      if (pipelineFailed(run)) {
        return {
          pipeline: run,
          notVerified:
            'not dry-run applied: the pipeline failed, and the API server is not built on this machine yet (`node scripts/install-servers.mjs` builds it, once, in minutes)',
        };
      }
      starting = start();
    }
    // From memory what this run built: the objects as validation decoded them, their fields' lines
    // (wanted only for a refusal) found in the built text as verify finds them in dist/. From dist/
    // what a reused app built before: it is as that run left it, or the app would not be reused.
    const texts = new Map(run.built.results.map((r) => [r.output, r.yaml]));
    const read = async (turn: () => Promise<void>): Promise<Group[]> => {
      const groups = new Map<string, VerifyDocument[]>();
      for (const { env, file } of run.distFiles) {
        const docs = groups.get(env) ?? groups.set(env, []).get(env)!;
        const fresh = run.documents.get(file);
        const text = texts.get(file);
        if (fresh && text !== undefined) docs.push(...builtDocuments(text, file, fresh));
        else {
          docs.push(...readBuilt(readFileSync(join(root, file), 'utf8'), file));
          await turn();
        }
      }
      // gitops/ as a person applies it to bootstrap Argo CD or Flux (kubectl apply -k gitops/<env>,
      // the Flux folder): the folders the pipeline validated, a group of their own.
      const gitops: VerifyDocument[] = [];
      for (const file of gitopsFiles(root, run.gitops?.folders ?? [])) {
        gitops.push(...readBuilt(readFileSync(join(root, file), 'utf8'), file));
        await turn();
      }
      return [...[...groups].map(([name, docs]) => ({ name, docs })), ...(gitops.length > 0 ? [{ name: GITOPS_GROUP, docs: gitops }] : [])];
    };
    const verified = await verifyGroups(read, {
      starting,
      root,
      onPhase: options.onPhase,
      ...(options.against !== undefined
        ? { against: options.against, alsoAgainst: { folders: [Layout.gitops], read: (tree) => refGitops(tree, readBuilt) } }
        : {}),
    });
    const notes = [...serverVersionNotes(settings, verified.serverVersion), ...notAppliedNotes(verified.notApplied), ...verified.notes];
    return { pipeline: run, verified: { ...verified, notes }, ...(options.against !== undefined ? { against: options.against } : {}) };
  } finally {
    await (await starting?.catch(() => undefined))?.stop();
  }
}
