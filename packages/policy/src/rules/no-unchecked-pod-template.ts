import { looseContainerPods, securityContext, unclearPodTemplates, unreadablePodSpecPatches, type ContainerView, type PodView } from '../pods.ts';
import { finding, list, type Rec, rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-unchecked-pod-template';
const UNJUDGED = 'its pods are not judged (privileged, host namespaces, resources, probes, network policies)';

/**
 * The settings the restricted profile demands that a container outside any pod template leaves
 * unset, where it, its pod's securityContext and the container defaults of the object (Tekton's
 * `stepTemplate`) are silent. The Pod Security rules judge such a container for what it sets only
 * (PodView.loose), so what it leaves unset is said here, as a warning.
 */
function unsetHardening(pod: PodView, c: ContainerView, defaults: readonly Rec[]): string[] {
  const own = [securityContext(c.container), ...defaults];
  const withPod = [...own, rec(pod.spec.securityContext) ?? {}, pod.defaultContext ?? {}];
  const unset = (contexts: readonly Rec[], field: string) => contexts.every((sc) => sc[field] === undefined || sc[field] === null);
  return [
    unset(own, 'allowPrivilegeEscalation') ? 'allowPrivilegeEscalation: false' : undefined,
    own.some((sc) => list(rec(sc.capabilities)?.drop).includes('ALL')) ? undefined : 'capabilities.drop: [ALL]',
    unset(withPod, 'runAsNonRoot') ? 'runAsNonRoot: true' : undefined,
    unset(withPod, 'seccompProfile') ? 'seccompProfile.type: RuntimeDefault' : undefined,
  ].filter((s): s is string => s !== undefined);
}

/** A container that runs an image, not the defaults a controller gives its containers (Tekton's `stepTemplate`). */
const runsImage = (c: ContainerView) => typeof c.container.image === 'string';

/**
 * A custom resource whose pod template reads as a PodSpec is judged by every pod rule; one whose
 * containers have another shape is said to go unjudged, rather than passing in silence. Containers
 * outside any template (batch steps) are judged by the Pod Security rules for what they set; one
 * that leaves unset what the restricted profile demands is said here, once per object.
 */
export const noUncheckedPodTemplate: Rule = {
  id,
  description:
    "Every custom resource that carries containers has them in pod templates (maps whose spec has containers, wherever they are) in the shape of a PodSpec, each container with a name and an image, so that the pod rules judge its pods; containers outside any template set the hardening the restricted profile demands, since the Pod Security rules judge only what they set; a pod spec patch in text (Argo's podSpecPatch) is a JSON or YAML map without template expressions, so that they judge what it patches in.",
  defaultSeverity: 'warning',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const object of objects) {
      const kind = object.manifest.kind;
      for (const path of unclearPodTemplates(object)) {
        out.push(
          finding(
            id,
            object,
            `The ${kind} carries containers at ${path} that are not each an object with a name and an image, so the policy cannot read them as a pod and ${UNJUDGED}: ` +
              'give every container a name and an image, or judge the pods its controller creates, and add a policy exception that says why.',
            `${path}.containers`,
          ),
        );
      }
      for (const patch of unreadablePodSpecPatches(object)) {
        const why = patch.unparsed ? 'is no JSON or YAML map' : `holds ${patch.expression}, an expression its controller fills in when it runs`;
        out.push(
          finding(
            id,
            object,
            `The ${kind}'s pod spec patch at ${patch.path} ${why}, so the policy cannot check what it patches into the pod (privileged, host namespaces, capabilities, a root user): ` +
              'write the fields it patches in literally as JSON or YAML, or add a policy exception that says why.',
            patch.path,
          ),
        );
      }
      const pods = looseContainerPods(object);
      const defaults = pods.flatMap((pod) => pod.containers.filter((c) => !runsImage(c)).map((c) => securityContext(c.container)));
      const unhardened = pods.flatMap((pod) =>
        pod.containers
          .filter(runsImage)
          .map((c) => ({ c, unset: unsetHardening(pod, c, defaults) }))
          .filter(({ unset }) => unset.length > 0),
      );
      const [first, ...rest] = unhardened;
      if (!first) continue;
      const more = rest.length > 0 ? ` and ${rest.length} more` : '';
      out.push(
        finding(
          id,
          object,
          `The ${kind} runs a container at ${first.c.path}${more} outside any pod template the policy reads (a map whose spec holds containers), where the Pod Security rules judge only what it sets: ` +
            `it does not set ${first.unset.join(', ')}, which the restricted profile demands: set them in its securityContext (or its pod's, where its kind has one), or add a policy exception that says why.`,
          first.c.path,
        ),
      );
    }
    return out;
  },
};
