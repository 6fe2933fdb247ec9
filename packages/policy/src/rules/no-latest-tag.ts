import { parseImage } from '../images.ts';
import { containerLabel, podsOf, sentenceStart } from '../pods.ts';
import { finding, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-latest-tag';

export const noLatestTag: Rule = {
  id,
  description: 'Every image, init containers included, names a version tag or a digest; never :latest or no tag.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      for (const c of pod.containers) {
        const image = str(c.container.image);
        if (!image) continue;
        const ref = parseImage(image);
        // A digest pins the content whatever the tag says.
        if (ref.digest) continue;
        const who = sentenceStart(containerLabel(c));
        if (ref.tag === undefined) {
          out.push(
            finding(
              id,
              pod.object,
              `${who} uses image "${image}" without a tag, which means :latest: pin a version tag or a digest.`,
              `${c.path}.image`,
            ),
          );
        } else if (ref.tag === 'latest') {
          out.push(finding(id, pod.object, `${who} uses the moving tag :latest ("${image}"): pin a version tag or a digest.`, `${c.path}.image`));
        }
      }
    }
    return out;
  },
};
