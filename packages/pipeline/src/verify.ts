import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENVIRONMENTS, type Environment } from '@strata/core';
import { checkEnv, Layout, UsageError, type Problem } from '@strata/project';
import type { KubernetesSettings, ParsedInputs, ResourceRef, ValidateOptions, ValidateResult } from '@strata/validate';
import type { NotApplied, ServerOptions, VerifyOptions, VerifyResult } from '@strata/verify';
import { missingBuilds } from './missing-dist.ts';
import { staleBuilds } from './stale-dist.ts';

// verify and validate are imported when called: the other commands of this package need neither
// the API server's client nor the reader.

export interface VerifyFilesOptions extends ServerOptions {
  /**
   * A folder of the manifests deployed now (any YAML in it): applied for real first, then the files
   * are checked as an update of it.
   */
  readonly against?: string;
  /** The folder that relative paths (the files and `against`) are named from. @default base */
  readonly cwd?: string;
  /**
   * Pass when the files hold no Kubernetes object (otherwise that is a `no-objects` problem, as for
   * `strata validate`: a job pointed at the wrong folder must not pass). @default false
   */
  readonly allowEmpty?: boolean;
}

/** A verify run, with one line for each env whose clusters run another minor version than the server. */
export interface VerifyReport extends VerifyResult {
  readonly notes: readonly string[];
  /**
   * The objects judged, as `strata validate` counts them: those sent to the server and those refused
   * before sending (what the reader could not read as an object). @default objects
   */
  readonly resources?: number;
  /** Every object judged, as `strata validate` lists them (`ValidateResult.objects`), for one JUnit test case per resource. */
  readonly judged?: readonly ResourceRef[];
}

/**
 * `strata verify PATH... | -`: reads any files, folders or stdin as `strata validate` reads them and
 * verifies the objects on a throw-away API server. What cannot be read is reported beside the
 * server's findings; what cannot be read in `against` is a warning, since only its objects that were
 * read are applied first.
 */
export async function verifyFiles(base: string, paths: readonly string[], options: VerifyFilesOptions = {}): Promise<VerifyReport> {
  const {
    envOf,
    isKustomization,
    judgedObjects,
    kubernetesSettings,
    nameAsTyped,
    namesAsTyped,
    parseInputs,
    placedInSources,
    renamedAsTyped,
    serverVersionNotes,
    skippedNote,
  } = await import('@strata/validate');
  const { envClasses, verifyDocuments } = await import('@strata/verify');
  const { against: folder, cwd = base, allowEmpty = false, ...rest } = options;
  const settings = kubernetesSettings(base);
  const server = withNodePorts(rest, settings);
  // The flag is judged before the files are read: its mistake is the one to fix first.
  if (folder && !statSync(resolve(cwd, folder), { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(
      `--against ${folder}: with named files, name a folder of the manifests deployed now (a git ref works for the apps' built output only)`,
    );
  }
  const skipped: string[] = [];
  const parsed = await parseInputs(base, paths, { cwd, skipped });
  const against = folder ? await parseInputs(base, [folder], { cwd }) : undefined;
  // A kustomization file of a walked tree is kustomize's input, never an object a cluster takes: validate judges it, verify applies the rest.
  // A built file's Pods meet the classes its env's other apps ship, as validate judges them.
  const classes = [...envClasses(base, [...parsed.files.keys()]).values()].flat();
  // An object the reader found unnamed is refused once, by the reader: kubectl apply never sends it.
  const unnamed = new Set(parsed.problems.flatMap((p) => (p.rule === 'missing-name' && p.resource !== undefined ? [p.resource] : [])));
  const checked = await verifyDocuments(
    parsed.docs.filter((d) => !isKustomization(d) && !unnamed.has(d.id)),
    { ...server, ...(against && folder ? { against: { name: folder, docs: against.docs } } : {}), ...(classes.length > 0 ? { classes } : {}) },
  );
  const unread = (against?.problems ?? []).map((p) => ({ ...p, severity: 'warning' as const, message: `in --against: ${p.message}` }));
  // Named as typed, from the folder the person is in, once the checks are done.
  const names = namesAsTyped(parsed, ...(against ? [against] : []));
  const empty = allowEmpty ? [] : noObjects(paths, parsed);
  // A built file named is verified with the word verify of the apps' built output gives on it.
  const stale = staleBuilds(base, { files: [...parsed.files.keys()] });
  // The problems of objects built from a walked kustomization are placed at their sources in the tree.
  const problems = [...empty, ...stale, ...placedInSources(parsed.problems, parsed), ...unread, ...placedInSources(checked.problems, parsed)].map(
    (p) => renamedAsTyped(p, names),
  );
  const notApplied = checked.notApplied.map((n) => renamedAsTyped(n, names));
  const judged = judgedObjects(parsed, new Set(checked.notApplied.map((n) => n.resource))).map((o) => ({
    ...renamedAsTyped(o, names),
    id: nameAsTyped(o.id, names),
  }));
  const resources = [...parsed.files.values()].reduce((n, f) => n + f.resources, 0) - checked.notApplied.length;
  // Built output or overlays of an env are for its clusters, whose version the server may not run, as for the apps' built output.
  const envs = new Set(parsed.docs.flatMap((d) => envOf(d.file)?.env ?? []));
  const versions = serverVersionNotes(
    settings,
    checked.serverVersion,
    ENVIRONMENTS.filter((e) => envs.has(e)),
  );
  // What the reader says of the input (files a kustomization reads as patches, not objects) and what was not applied.
  return {
    ...checked,
    problems,
    notApplied,
    notes: [...skippedNote(skipped, 'verify'), ...(parsed.notes ?? []), ...versions, ...notAppliedNotes(notApplied), ...checked.notes],
    resources,
    judged,
  };
}

/**
 * The problem of inputs that hold no Kubernetes object at all (an empty file, a folder without
 * YAML, empty stdin), in the words `strata validate` gives it: none when they hold one, refused or not.
 */
function noObjects(inputs: readonly string[], parsed: ParsedInputs): Problem[] {
  if ([...parsed.files.values()].some((f) => f.resources > 0)) return [];
  const where = inputs.map((i) => (i === '-' ? '<stdin>' : i)).join(', ');
  const files = parsed.files.size === 0 ? ' (no .yaml, .yml or .json file)' : '';
  return [
    {
      file: where,
      message: `no Kubernetes objects in ${where}${files}; point verify at the files that hold them, or pass --allow-empty where nothing is expected`,
      rule: 'no-objects',
      severity: 'error',
    },
  ];
}

/**
 * `strata verify`: the apps' built output (`verify` of @strata/verify), and what a server of its
 * version cannot say for the selected envs, whose clusters run the versions strata.config.json names.
 */
export async function verifyApps(root: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { verify } = await import('@strata/verify');
  const { kubernetesSettings, serverVersionNotes } = await import('@strata/validate');
  const settings = kubernetesSettings(root);
  const r = await verify(root, withNodePorts(options, settings));
  // verify() has refused an unknown env.
  const envs = options.env ? [options.env as Environment] : undefined;
  // A warning, not a refusal: the built files are still judged, as what they are.
  const stale = staleBuilds(root, { ...(options.env ? { env: options.env } : {}), ...(options.app ? { app: options.app } : {}) });
  return {
    ...r,
    problems: [...stale, ...r.problems],
    notes: [...serverVersionNotes(settings, r.serverVersion, envs), ...notAppliedNotes(r.notApplied), ...r.notes],
  };
}

/**
 * `strata validate` of the apps' built output (dist/, or with `env` dist/<env>/ alone, what it judges when no path is named): the
 * verdict of @strata/validate, with a `stale-build` warning for each file not built from the overlay
 * files now on disk or changed since it was built, as verify gives one, and a `missing-build` error
 * for each overlay whose built file is not there: "no problems" must not be said of a dist/ that is
 * not what the overlays deploy.
 */
export async function validateBuilt(root: string, options: ValidateOptions & { readonly allowEmpty?: boolean } = {}): Promise<ValidateResult> {
  // With an env, only its built output is judged, as verify --env judges it.
  const env = checkEnv(options.env);
  const folder = env ? `${Layout.dist}/${env}` : Layout.dist;
  if (!existsSync(join(root, folder)))
    throw new UsageError(
      `no ${folder}/ to validate: build it first (npm run build, or npx strata build${env ? ` --env ${env}` : ''}), or name the files to validate`,
    );
  const missing = missingBuilds(root, env ? { env } : {});
  // The missing files fail the run, said once each: not again as inputs that hold no object.
  const r = await validateFiles(root, [folder], missing.length > 0 ? { ...options, allowEmpty: true } : options);
  return { ...r, problems: [...missing, ...r.problems] };
}

/**
 * `strata validate PATH...`: the verdict of @strata/validate on any files, folders or stdin, with the
 * `stale-build` warning of `validateBuilt` for each built file among them (`dist/<env>/<app>.yaml`,
 * named or in a folder named, however spelt), named as typed: a built file named alone is judged as
 * it is judged with the rest of dist/.
 */
export async function validateFiles(
  root: string,
  inputs: readonly string[],
  options: ValidateOptions & { readonly allowEmpty?: boolean } = {},
): Promise<ValidateResult> {
  const { validate } = await import('@strata/validate');
  return validate(root, inputs, { ...options, builtFileProblems: (files) => staleBuilds(root, { files }) });
}

/** Objects named in a note, at most. */
const NAMED = 3;

/** Why Argo CD never applies what verify left out, as a note says it. */
const NOT_APPLIED: Record<NotApplied['why'], string> = {
  skip: 'as Argo CD skips them (argocd.argoproj.io/hook: Skip)',
  'no-sync-hook':
    'as Argo CD never applies a hook of no phase it runs (argocd.argoproj.io/hook names none of PreSync, Sync, PostSync, SyncFail, ' +
    "PreDelete or PostDelete, spelled so, nor helm.sh/hook Helm's pre- or post-install, -upgrade or -delete)",
};

/**
 * One line for each reason verify left objects out (Argo CD never applies them): how many, and
 * where the first are, so that nothing is left out unsaid.
 */
export function notAppliedNotes(notApplied: readonly NotApplied[]): string[] {
  return (Object.keys(NOT_APPLIED) as NotApplied['why'][]).flatMap((why) => {
    const these = notApplied.filter((n) => n.why === why);
    if (these.length === 0) return [];
    const named = these
      .slice(0, NAMED)
      .map((n) => `${n.file}${n.line ? `:${n.line}` : ''} ${n.apiVersion}/${n.kind} ${n.namespace ? `${n.namespace}/` : ''}${n.name ?? ''}`);
    const more = these.length > NAMED ? ` and ${these.length - NAMED} more` : '';
    return [`${these.length === 1 ? '1 object' : `${these.length} objects`} not applied, ${NOT_APPLIED[why]}: ${named.join(', ')}${more}`];
  });
}

/** The options, with the node port range of the clusters (strata.config.json) unless they name one. */
function withNodePorts<T extends ServerOptions>(options: T, settings: KubernetesSettings): T {
  const range = options.serviceNodePortRange ?? settings.serviceNodePortRange;
  return range ? { ...options, serviceNodePortRange: range } : options;
}
