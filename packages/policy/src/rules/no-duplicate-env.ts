import { containerLabel, podsOf, sentenceStart } from '../pods.ts';
import { at, finding, list, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-duplicate-env';

export const noDuplicateEnv: Rule = {
  id,
  description: 'No container sets the same environment variable name twice.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      for (const c of pod.containers) {
        const seen = new Map<string, number>();
        list(c.container.env).forEach((e, i) => {
          const name = str(at(e, 'name'));
          if (name === undefined) return;
          const first = seen.get(name);
          if (first === undefined) {
            seen.set(name, i);
            return;
          }
          // Typically a patch appending instead of replacing; the last entry wins without a word.
          out.push(
            finding(
              id,
              pod.object,
              `${sentenceStart(containerLabel(c))} sets ${name} twice (env[${first}] and env[${i}]) and only the last one takes effect (server-side apply refuses the list): keep one.`,
              `${c.path}.env[${i}].name`,
            ),
          );
        });
      }
    }
    return out;
  },
};
