import { ENVIRONMENTS, type Environment } from '@strata/core';
import { projectSeverity } from '@strata/project';
import { parseObjects, runPolicy, type Finding } from '@strata/policy';
import { kubernetesVersionOf } from '@strata/validate';

/** One policy exception of the imported app, as `defineApp({ policy: { exceptions } })` takes it. */
export interface ImportedException {
  readonly rule: string;
  readonly kind: string;
  readonly name?: string;
  readonly reason: string;
}

/** What the import found against the policy: the app's exceptions and one line per rule saying what to do. */
export interface PolicyFindings {
  readonly exceptions: ImportedException[];
  /** Per rule: how many findings, on which objects, and how to clear them. */
  readonly notes: string[];
}

export const IMPORTED_REASON = 'imported as is; harden with the kit';

const POD_KIT = 'build the pods with hardenedPodSpec and their containers with hardenedContainer (@strata/core kit) in render.ts';

/** What clears each rule's findings; a rule without an entry points at its own messages. */
const FIX: Readonly<Record<string, string>> = {
  'require-run-as-non-root': POD_KIT,
  'require-seccomp-profile': POD_KIT,
  'no-privilege-escalation': POD_KIT,
  'drop-all-capabilities': POD_KIT,
  'no-root-user': POD_KIT,
  'require-read-only-root-filesystem': `${POD_KIT}, giving each path the app writes to hardenedContainer's writable`,
  'no-automount-token': `${POD_KIT} (it mounts no service account token unless asked)`,
  'default-deny-network-policy':
    'add defaultDenyPolicy and an allowTraffic policy with kubeDnsEgress (@strata/core kit) for the traffic the app needs',
  'require-probes': 'give each serving container a readinessProbe and a livenessProbe in render.ts',
  'require-resources': "set each container's requests and limits (resources) in render.ts or config.ts",
  'require-image-digest': "pin prod's images by digest with `npx strata set image --env prod ...` (repository:tag@sha256:digest)",
  'no-latest-tag': 'pin each image to a version tag or digest in config.ts or images.json',
};

/**
 * Runs the policy over each env's built output of the imported app, as `strata pipeline` would
 * (the env's Kubernetes version, the project's severities), and turns every finding, error or
 * warning, into an exception of the app: one per rule, kind and name, so that each covers exactly the
 * objects of the original it was found on, and the pipeline starts green with nothing hidden.
 */
export function importedFindings(
  root: string,
  app: string,
  built: Readonly<Record<Environment, string>>,
  generated: Readonly<Record<Environment, ReadonlySet<string>>>,
): PolicyFindings {
  const severity = projectSeverity(root);
  const byKey = new Map<string, { exception: ImportedException; findings: Finding[] }>();
  for (const env of ENVIRONMENTS) {
    const kubernetesVersion = kubernetesVersionOf(root, { env })('');
    const objects = parseObjects(built[env], `overlays/${env}/${app}`);
    for (const f of runPolicy(objects, { env, kubernetesVersion, severity })) {
      const m = f.object.manifest;
      // A generated ConfigMap's name carries its content's hash: the exception names its kind only.
      const hashed = m.kind === 'ConfigMap' && [...generated[env]].some((g) => m.metadata.name.startsWith(`${g}-`));
      const exception: ImportedException = { rule: f.rule, kind: m.kind, ...(hashed ? {} : { name: m.metadata.name }), reason: IMPORTED_REASON };
      const key = `${exception.rule}|${exception.kind}|${exception.name ?? ''}`;
      const entry = byKey.get(key) ?? { exception, findings: [] };
      entry.findings.push(f);
      byKey.set(key, entry);
    }
  }
  const entries = [...byKey.values()].sort(
    (a, b) =>
      a.exception.rule.localeCompare(b.exception.rule) ||
      a.exception.kind.localeCompare(b.exception.kind) ||
      (a.exception.name ?? '').localeCompare(b.exception.name ?? ''),
  );
  const rules = [...new Set(entries.map((e) => e.exception.rule))];
  const notes = rules.map((rule) => {
    const mine = entries.filter((e) => e.exception.rule === rule);
    const count = mine.reduce((n, e) => n + e.findings.length, 0);
    const objects = mine.map((e) => `${e.exception.kind}${e.exception.name ? ` ${e.exception.name}` : ''}`);
    const shown = objects.length > 3 ? `${objects.slice(0, 3).join(', ')} and ${objects.length - 3} more` : objects.join(', ');
    const fix = FIX[rule] ?? `do what \`npx strata validate --list-excepted\` says for each finding`;
    return `${rule}: ${count} finding${count === 1 ? '' : 's'} of the original (${shown}) excepted in apps/${app}/src/app.ts, as imported; to clear them, ${fix}, then delete those exceptions`;
  });
  return { exceptions: entries.map((e) => e.exception), notes };
}
