import { ENVIRONMENTS, UsageError, type Environment, type Problem } from '@strata/core';
import { policyProblems } from './policy.ts';
import { parseInputs } from './read.ts';
import { schemaProblems } from './schema.ts';
import type { ParsedInputs, SourceDoc, ValidateOptions, ValidateResult } from './types.ts';

/**
 * `strata validate`: structural checks, one strict kubeconform run and the policy rules over the
 * given inputs. Kustomization files are checked for secret literals but have no schema of their own.
 */
export async function validate(root: string, inputs: readonly string[], options: ValidateOptions = {}): Promise<ValidateResult> {
  return checkParsed(root, parseInputs(root, inputs, options.stdin), options);
}

/** The checks of `validate` over documents already read (by `parseInputs` or `readText`). */
export async function checkParsed(root: string, parsed: ParsedInputs, options: ValidateOptions = {}): Promise<ValidateResult> {
  const isKustomization = (d: SourceDoc) => d.manifest.apiVersion.startsWith('kustomize.config.k8s.io/');
  const resources = parsed.docs.filter((d) => !isKustomization(d));
  // kubeconform runs in its own process while the checks below run in this one.
  const schema = schemaProblems(root, parsed, resources, options.kubernetesVersion);
  schema.catch(() => undefined); // awaited below; a failure of the checks in between must not leave it unhandled
  const own = [
    ...parsed.problems,
    ...(await policyProblems(root, parsed.docs, checkEnv(options.env), { all: options.policy !== false })),
  ];
  const problems = [...own, ...(await schema)];
  problems.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
  const counted = (p: Problem) => p.rule !== 'duplicate-key' && p.rule !== 'yaml-syntax';
  const counts: Record<string, number> = {};
  for (const d of parsed.docs) counts[d.file] = (counts[d.file] ?? 0) + 1;
  for (const p of parsed.problems) if (counted(p)) counts[p.file] = (counts[p.file] ?? 0) + 1;
  const count = parsed.docs.length + parsed.problems.filter(counted).length;
  return { problems, resources: count, files: [...parsed.files.keys()], counts };
}

/** The env named by `--env`, checked: a misspelt env would silently skip env-specific rules. */
function checkEnv(env: string | undefined): Environment | undefined {
  if (env === undefined) return undefined;
  if (!(ENVIRONMENTS as readonly string[]).includes(env)) throw new UsageError(`unknown env "${env}"; known envs: ${ENVIRONMENTS.join(', ')}`);
  return env as Environment;
}
