import { DIGEST, isPlaceholderDigest, parseImage } from '../images.ts';
import { containerLabel, podsOf, sentenceStart } from '../pods.ts';
import { finding, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'require-image-digest';

export const requireImageDigest: Rule = {
  id,
  description:
    'In prod every image is pinned by digest (repo@sha256:...), so what runs is exactly what was tested; a placeholder digest (all zeros, say) does not count.',
  defaultSeverity: 'error',
  envs: ['prod'],
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      for (const c of pod.containers) {
        const image = str(c.container.image);
        if (!image) continue;
        const { digest } = parseImage(image);
        const who = sentenceStart(containerLabel(c));
        if (digest === undefined) {
          out.push(
            finding(
              id,
              pod.object,
              `${who} uses image "${image}", which is not pinned by digest: give the env an image digest so it renders as repo@sha256:<digest>.`,
              `${c.path}.image`,
            ),
          );
        } else if (!DIGEST.test(digest)) {
          out.push(
            finding(
              id,
              pod.object,
              `${who} has a malformed digest "${digest}": use the full sha256:<64 hex digits> digest the registry reports.`,
              `${c.path}.image`,
            ),
          );
        } else if (isPlaceholderDigest(digest)) {
          out.push(
            finding(
              id,
              pod.object,
              `${who} uses the placeholder digest "${digest}", which no registry serves: replace it with the digest your registry reports for the release.`,
              `${c.path}.image`,
            ),
          );
        }
      }
    }
    return out;
  },
};
