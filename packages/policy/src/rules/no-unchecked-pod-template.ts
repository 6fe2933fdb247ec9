import { unclearPodTemplates } from '../pods.ts';
import { finding } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-unchecked-pod-template';

/**
 * A custom resource whose pod template reads as a PodSpec is judged by every pod rule; one whose
 * containers have another shape is said to go unjudged, rather than passing in silence.
 */
export const noUncheckedPodTemplate: Rule = {
  id,
  description:
    'Every custom resource that carries a pod template (spec.template.spec, spec.jobTemplate.spec.template.spec) has it in the shape of a PodSpec, each container with a name and an image, so that the pod rules judge its pods.',
  defaultSeverity: 'warning',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const object of objects) {
      for (const path of unclearPodTemplates(object)) {
        out.push(
          finding(
            id,
            object,
            `The ${object.manifest.kind} carries containers at ${path} that are not each an object with a name and an image, so the policy cannot read them as a pod and its pods are not judged (privileged, host namespaces, resources, probes, network policies): ` +
              'give every container a name and an image, or judge the pods its controller creates, and add a policy exception that says why.',
            `${path}.containers`,
          ),
        );
      }
    }
    return out;
  },
};
