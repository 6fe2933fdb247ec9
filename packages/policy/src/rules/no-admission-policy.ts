import { at, finding, ofKind, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-admission-policy';

const ADMISSION = 'admissionregistration.k8s.io';

/**
 * Admission policies and their bindings are cluster-wide. A mutating one changes the objects of
 * every namespace it matches after every offline check (it can set hostNetwork or privileged on
 * every Pod of the cluster), so it is an error; a validating one can only refuse, in every
 * namespace, other apps' objects included, so it is a warning.
 */
export const noAdmissionPolicy: Rule = {
  id,
  description:
    'No MutatingAdmissionPolicy or ValidatingAdmissionPolicy, nor a binding of one: they are cluster-wide, and a mutating one rewrites the objects of every namespace after every check (a validating one, which only refuses, is a warning).',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const o of ofKind(
      objects,
      'MutatingAdmissionPolicy',
      'MutatingAdmissionPolicyBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    )) {
      if (!o.manifest.apiVersion.startsWith(`${ADMISSION}/`)) continue;
      const mutating = o.manifest.kind.startsWith('Mutating');
      const binding = o.manifest.kind.endsWith('Binding');
      const policy = binding ? `the policy "${str(at(o.manifest, 'spec', 'policyName')) ?? '?'}"` : 'the policy';
      const does = mutating
        ? 'rewrites the objects it matches in every namespace of the cluster, after every check'
        : "refuses the objects it matches in every namespace of the cluster, other apps' included";
      const f = finding(
        id,
        o,
        `${binding ? `The binding puts ${policy} to work, which` : 'The policy'} ${does}: ship it with the platform rather than an app, or add a policy exception that says why.`,
        binding ? 'spec.policyName' : 'spec',
      );
      out.push(mutating ? f : { ...f, severity: 'warning' });
    }
    return out;
  },
};
