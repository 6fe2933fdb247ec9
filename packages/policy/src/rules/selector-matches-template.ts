import { CONTROLLER_KINDS } from '../pods.ts';
import { at, finding, list, ofKind, quote, rec, str, stringMap } from '../read.ts';
import { formatLabels, isEmptySelector, requirementHolds } from '../selectors.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'selector-matches-template';

export const selectorMatchesTemplate: Rule = {
  id,
  description:
    "A Deployment's, StatefulSet's, DaemonSet's or ReplicaSet's selector (matchLabels and matchExpressions) matches its own pod template labels.",
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const w of ofKind(objects, ...CONTROLLER_KINDS)) {
      const selector = rec(at(w.manifest, 'spec', 'selector'));
      const labels = stringMap(at(w.manifest, 'spec', 'template', 'metadata', 'labels'));
      if (!selector || isEmptySelector(selector)) {
        out.push(
          finding(
            id,
            w,
            'The workload has no selector: set spec.selector.matchLabels to labels of its pod template (and keep them stable: selectors are immutable).',
            'spec.selector',
          ),
        );
        continue;
      }
      for (const [key, value] of Object.entries(stringMap(selector.matchLabels))) {
        if (labels[key] === value) continue;
        const has = labels[key] === undefined ? `no ${key} label` : `${key}=${labels[key]}`;
        out.push(
          finding(
            id,
            w,
            `The selector requires ${key}=${value} but the pod template has ${has}: make spec.selector.matchLabels a subset of spec.template.metadata.labels.`,
            'spec.selector.matchLabels',
          ),
        );
      }
      list(selector.matchExpressions).forEach((r, i) => {
        if (requirementHolds(r, labels)) return;
        const values = list(at(r, 'values')).map(String);
        const expression = `${str(at(r, 'key')) ?? '?'} ${str(at(r, 'operator')) ?? '?'}${values.length ? ` ${quote(values)}` : ''}`;
        out.push(
          finding(
            id,
            w,
            `The selector expression ${expression} does not hold for the pod template labels ${formatLabels(labels)}: change the expression or the template labels.`,
            `spec.selector.matchExpressions[${i}]`,
          ),
        );
      });
    }
    return out;
  },
};
