import { ENVIRONMENTS, type Environment, type Manifest } from '@strata/core';
import { Layout } from '@strata/project';
import { checkParsed, formatProblem, readText, serverPathSegments, type ParsedInputs } from '@strata/validate';
import { ImportError } from './errors.ts';
import type { SourceSet } from './sources.ts';

/** The rule of the API server's own field checks, as `strata pipeline` reports them. */
const SERVER_RULE = 'server-validation';

/**
 * Refuses the import when the API server's offline field checks refuse an object of the generated
 * app's build (a Deployment whose selector does not match its template's labels, a node port outside
 * the project's range): `strata pipeline` runs them over the same build, as `dist/<env>/<app>.yaml`, and
 * would fail on it, while kubeconform and the kinds' models accept it. The checks are those of the
 * pipeline (`checkParsed` with the server's checks, each env's build judged against its Kubernetes
 * version and the project's settings); each refusal is the pipeline's message at the object's place
 * (the field's line) in the sources, with the envs whose build has it. Nothing is written. When the checks cannot run
 * (their helper is not built on this machine), the note the pipeline gives is passed to `onWarning`.
 * An object `judged` says no to is left to the caller (the import keeps a kind it has no schema for
 * with a warning that validation fails on it).
 */
export async function refuseServerRefusals(
  root: string,
  name: string,
  built: Readonly<Record<Environment, string>>,
  expected: Readonly<Record<Environment, readonly Manifest[]>>,
  sources: SourceSet,
  onWarning: (message: string) => void,
  judged: (env: Environment, m: Manifest) => boolean = () => true,
): Promise<void> {
  const parsed: ParsedInputs = { docs: [], problems: [], files: new Map() };
  const envOf = new Map<string, Environment>();
  for (const env of ENVIRONMENTS) {
    const file = Layout.distOf(env, name);
    envOf.set(file, env);
    parsed.files.set(file, readText(built[env], file, file).file);
  }
  const r = await checkParsed(root, parsed, {
    serverChecks: true,
    policy: false,
    // As the pipeline judges one app: what spans the apps of an env is judged there.
    nodePortClashes: false,
    allocationClashes: false,
    classChecks: false,
    namespaceChecks: false,
    ingressClashes: false,
  });
  for (const note of new Set(r.notes ?? [])) onWarning(note);
  const refused = new Map<string, Environment[]>();
  for (const p of r.problems) {
    const env = envOf.get(p.file);
    if (p.rule !== SERVER_RULE || p.severity !== 'error' || env === undefined) continue;
    const index = expected[env].findIndex(
      (m) => m.apiVersion === p.apiVersion && m.kind === p.kind && m.metadata.name === p.name && (m.metadata.namespace ?? '') === (p.namespace ?? ''),
    );
    if (index >= 0 && !judged(env, expected[env][index]!)) continue;
    const at = await sources.where(env, index, p.path === undefined ? undefined : serverPathSegments(p.path));
    const line = formatProblem({ ...p, file: at, line: undefined });
    const envs = refused.get(line) ?? [];
    if (!envs.includes(env)) envs.push(env);
    refused.set(line, envs);
  }
  if (refused.size === 0) return;
  throw new ImportError(
    [...refused].map(
      ([line, envs]) =>
        `${line}; the API server refuses it (${ENVIRONMENTS.filter((e) => envs.includes(e)).join(', ')}), and so would strata pipeline: fix it in the source, then import; nothing was written`,
    ),
  );
}
