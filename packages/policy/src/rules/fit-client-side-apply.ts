import { ANNOTATIONS_SIZE_LIMIT, clientSideApplyAnnotationsSize, LAST_APPLIED_ANNOTATION } from '../client-side-apply.ts';
import { finding } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'fit-client-side-apply';

/**
 * `kubectl apply -k` (how the README applies an overlay) and Argo CD without ServerSideApply apply
 * client-side: kubectl copies the whole object into an annotation, and the server refuses an object
 * whose annotations pass 256 KiB. A create or server-side apply (what `strata verify` sends) takes
 * the same object, so only this check sees it.
 */
/**
 * Whether an object whose JSON text is `json` surely fits: kubectl's copy, with the namespace it adds,
 * is at most six bytes per character of that text (an escaped `<` or U+2028), and every other
 * annotation at most three bytes per character of it (UTF-8). Nearly every object is a few kilobytes,
 * and only the rare large one is serialized again to be measured exactly.
 */
const surelyFits = (json: string | undefined) => json !== undefined && 9 * json.length + 4096 <= ANNOTATIONS_SIZE_LIMIT;

export const fitClientSideApply: Rule = {
  id,
  description: `Every object fits client-side apply: its annotations, with the ${LAST_APPLIED_ANNOTATION} that kubectl apply adds, stay within the API server's ${ANNOTATIONS_SIZE_LIMIT} bytes.`,
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const o of objects) {
      if (surelyFits(o.json)) continue;
      const size = clientSideApplyAnnotationsSize(o.manifest);
      if (size <= ANNOTATIONS_SIZE_LIMIT) continue;
      out.push(
        finding(
          id,
          o,
          `client-side apply (kubectl apply, and Argo CD without ServerSideApply=true) would make the annotations ${size} bytes with the ${LAST_APPLIED_ANNOTATION} it adds (a copy of the whole object), more than the API server's limit of ${ANNOTATIONS_SIZE_LIMIT}, and the server refuses the object: shrink it, move its data out (to several objects, an image or a volume), or apply it server-side (kubectl apply --server-side; Strata's Argo CD Application syncs an app server-side when one of its objects would not fit client-side apply)`,
          'metadata.annotations',
        ),
      );
    }
    return out;
  },
};
