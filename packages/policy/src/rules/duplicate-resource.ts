import { groupOf } from '@strata/core';
import { finding, namespaceOf } from '../read.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'duplicate-resource';

/** Objects of one file are applied together: two with one identity mean one silently replaces the other. */
export const duplicateResource: Rule = {
  id,
  description: 'No two objects in one file share group, kind, namespace and name.',
  defaultSeverity: 'error',
  check(objects, ctx) {
    const seen = new Map<string, PolicyObject>();
    const out: RuleFinding[] = [];
    for (const o of objects) {
      const m = o.manifest;
      // An object named by generateName gets a name of its own from the server; one with neither
      // name is refused for that already.
      if (typeof m.metadata.name !== 'string' || m.metadata.name === '') continue;
      const key = JSON.stringify([o.file, groupOf(m.apiVersion), m.kind, namespaceOf(o, ctx.applyNamespace), m.metadata.name]);
      const first = seen.get(key);
      if (!first) {
        seen.set(key, o);
        continue;
      }
      const where = first.line === undefined ? 'an earlier object' : `the object at line ${first.line}`;
      out.push(finding(id, o, `same group, kind, namespace and name as ${where}; one would replace the other when applied`));
    }
    return out;
  },
};
