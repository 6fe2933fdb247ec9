import { describe, expect, it } from 'vitest';
import { runPolicy } from '../src/index.ts';
import { admissionRefusals, LATEST, type EnforcePolicy } from '../src/pod-security-admission.ts';
import { podSecuritySpecsOf } from '../src/pods.ts';
import { isWindows } from '../src/pod-security.ts';
import { rules } from '../src/registry.ts';
import type { PolicyObject } from '../src/types.ts';
import { readCorpus } from './differential.ts';

// The rules of the controls whose checks namespace-admits-pods shares report, at the latest version,
// exactly the fields the admission refuses, pod by pod over both Pod Security corpora: one decision of
// each check, said in each rule's words and in the admission's.

const corpus = [...readCorpus('__corpus__/pod-security'), ...readCorpus('__corpus__/namespace-admission')];

/** Each shared rule, with the admission's reasons for the same control. */
const SHARED: Readonly<Record<string, readonly string[]>> = {
  'no-host-namespaces': ['host namespaces'],
  'no-privileged': ['privileged'],
  'no-host-process': ['hostProcess'],
  'no-unsafe-sysctls': ['forbidden sysctls'],
  'drop-all-capabilities': ['non-default capabilities', 'unrestricted capabilities'],
  'no-privilege-escalation': ['allowPrivilegeEscalation != false'],
  'no-root-user': ['runAsUser=0'],
  'no-unmasked-proc-mount': ['procMount'],
};

const policy = (level: EnforcePolicy['level']): EnforcePolicy => ({ level, minor: LATEST, shown: `${level}:latest` });

describe('the Pod Security rules and the admission share their checks', () => {
  it.each(corpus.map((d) => [d.id, d] as const))('%s: each shared rule reports the fields the admission refuses at its level', (_, doc) => {
    const objects: PolicyObject[] = [{ manifest: doc.manifest, file: doc.id }];
    const pods = podSecuritySpecsOf(objects);
    const shared = rules.filter((r) => r.id in SHARED);
    const found = runPolicy(objects, {}, shared);
    for (const level of ['baseline', 'restricted'] as const) {
      // A Windows pod is spared restricted's capabilities check, which at restricted replaces baseline's: the rule still says what baseline refuses.
      const judged = level === 'restricted' ? pods.filter((p) => !isWindows(p)) : pods;
      const refused = judged.flatMap((p) => admissionRefusals(p, policy(level)));
      for (const [rule, reasons] of Object.entries(SHARED)) {
        const byRule = found
          .filter((f) => f.rule === rule && (level === 'restricted' || f.podSecurity === 'baseline'))
          .filter((f) => level === 'baseline' || judged.some((p) => p.object === f.object && f.path?.startsWith(p.specPath)))
          .map((f) => f.path)
          .sort();
        const byAdmission = refused
          .filter((r) => reasons.includes(r.reason))
          .map((r) => r.path)
          .sort();
        expect([rule, level, byRule]).toStrictEqual([rule, level, byAdmission]);
      }
    }
  });
});
