import { imageReferenceProblem } from '../images.ts';
import { containerLabel, podSpecsOf, sentenceStart } from '../pods.ts';
import { finding, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'valid-image-reference';

export const validImageReference: Rule = {
  id,
  description:
    'Every image, init and ephemeral containers included, is a reference the kubelet can parse: registry, lowercase path, tag and digest as the distribution reference grammar has them.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    // PodTemplates too: the pods made from one pull the same image.
    for (const pod of podSpecsOf(objects)) {
      for (const c of pod.containers) {
        const image = str(c.container.image);
        // A missing image is the schema's and the server's to report.
        if (!image) continue;
        const problem = imageReferenceProblem(image);
        if (problem === undefined) continue;
        out.push(
          finding(
            id,
            pod.object,
            `${sentenceStart(containerLabel(c))} has image "${image}", which the kubelet refuses to pull (InvalidImageName): ${problem}.`,
            `${c.path}.image`,
          ),
        );
      }
    }
    return out;
  },
};
