import { unclearPodTemplates } from '../pods.ts';
import { finding } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-unchecked-pod-template';
const UNJUDGED = 'its pods are not judged (privileged, host namespaces, resources, probes, network policies)';

/**
 * A custom resource whose pod template reads as a PodSpec is judged by every pod rule; one whose
 * containers have another shape, or are somewhere else in it, is said to go unjudged, rather than
 * passing in silence.
 */
export const noUncheckedPodTemplate: Rule = {
  id,
  description:
    'Every custom resource that carries containers has them in pod templates (maps whose spec has containers, wherever they are) in the shape of a PodSpec, each container with a name and an image, so that the pod rules judge its pods.',
  defaultSeverity: 'warning',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const object of objects) {
      for (const { path, at, more } of unclearPodTemplates(object)) {
        const kind = object.manifest.kind;
        out.push(
          at === 'template'
            ? finding(
                id,
                object,
                `The ${kind} carries containers at ${path} that are not each an object with a name and an image, so the policy cannot read them as a pod and ${UNJUDGED}: ` +
                  'give every container a name and an image, or judge the pods its controller creates, and add a policy exception that says why.',
                `${path}.containers`,
              )
            : finding(
                id,
                object,
                `The ${kind} carries a container to run (an image) at ${path}${more > 0 ? ` and ${more} more place${more > 1 ? 's' : ''}` : ''}, outside any pod template the policy reads (a map whose spec holds containers), so ${UNJUDGED}: ` +
                  'judge the pods its controller creates, and add a policy exception that says why.',
                path,
              ),
        );
      }
    }
    return out;
  },
};
