import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podSecurityRules, runPolicy, type PodSecurityLevel } from '../src/index.ts';
import { podTemplateByShape, podViewsOf } from '../src/pods.ts';
import { podSecurityReasons, readCorpus, differentialServer, type CorpusDocument, type ServerVerdict } from './differential.ts';

/**
 * Pod Security, Strata against the API server: every document of the corpus (and every pod-bearing
 * document of the policy fixtures) is dry-run applied in a namespace enforcing `baseline` and in one
 * enforcing `restricted`, and the controls the server names are compared with the Pod Security
 * findings of Strata, level by level.
 */

const LEVELS: readonly PodSecurityLevel[] = ['baseline', 'restricted'];
const VERSION = 'v1.36';

/**
 * The reason the admission plugin gives for each rule's findings, at each level it checks: at
 * restricted, hostPath volumes are refused as a restricted volume type and capabilities by the
 * restricted capabilities control, which replace their baseline counterparts.
 */
const SERVER_REASON: Readonly<Record<string, string | Readonly<Record<PodSecurityLevel, string>>>> = {
  'no-host-process': 'hostProcess',
  'no-host-namespaces': 'host namespaces',
  'no-privileged': 'privileged',
  'drop-all-capabilities': { baseline: 'non-default capabilities', restricted: 'unrestricted capabilities' },
  'no-host-path': { baseline: 'hostPath volumes', restricted: 'restricted volume types' },
  'no-host-ports': 'hostPort',
  'no-probe-or-lifecycle-host': 'probe or lifecycle host',
  'no-unconfined-apparmor': 'forbidden AppArmor profile',
  'no-custom-selinux-options': 'seLinuxOptions',
  'no-unmasked-proc-mount': 'procMount',
  'require-seccomp-profile': 'seccompProfile',
  'no-unsafe-sysctls': 'forbidden sysctls',
  'restrict-volume-types': 'restricted volume types',
  'no-privilege-escalation': 'allowPrivilegeEscalation != false',
  'require-run-as-non-root': 'runAsNonRoot != true',
  'no-root-user': 'runAsUser=0',
};
const reasonOf = (rule: string, level: PodSecurityLevel): string => {
  const r = SERVER_REASON[rule];
  if (r === undefined) throw new Error(`no server reason known for rule ${rule}`);
  return typeof r === 'string' ? r : r[level];
};
const KNOWN_REASONS = [...new Set(podSecurityRules.flatMap((r) => LEVELS.map((l) => reasonOf(r.id, l))))];

const parseReasons = (text: string) => podSecurityReasons(text, [...KNOWN_REASONS, 'unknown forbidden reason']);

/**
 * Whether the server refused the document before admission: invalid (422), undecodable (400), or a
 * list with duplicate keys, which server-side apply refuses with a 500 before anything else runs.
 */
const refusedBeforeAdmission = (v: ServerVerdict) =>
  v.status === 422 || v.status === 400 || (v.status === 500 && v.message.startsWith('failed to create typed patch object'));

/** The reasons the server gave at one level, or 'invalid' when it refused the document before admission. */
function serverReasons(verdict: ServerVerdict, level: PodSecurityLevel): string[] | 'invalid' {
  if (refusedBeforeAdmission(verdict)) return 'invalid';
  if (verdict.status >= 300 && verdict.status !== 403) throw new Error(`unexpected HTTP ${verdict.status}: ${verdict.message}`);
  const texts = verdict.status === 403 ? [verdict.message] : verdict.warnings;
  const found = texts.map(parseReasons).filter((r) => r !== undefined);
  for (const r of found) if (r.level !== level) throw new Error(`a ${level} namespace answered for ${r.level}`);
  return [...new Set(found.flatMap((r) => r.reasons))].sort();
}

/** Strata's Pod Security findings as the server would name them at `level`, with the rules behind each. */
function strataReasons(doc: CorpusDocument, level: PodSecurityLevel): Map<string, string[]> {
  const object = { manifest: doc.manifest, file: doc.id };
  const out = new Map<string, string[]>();
  for (const f of runPolicy([object], {}, podSecurityRules)) {
    if (f.podSecurity === undefined) throw new Error(`${f.rule} reported a finding without its Pod Security level`);
    if (level === 'baseline' && f.podSecurity === 'restricted') continue;
    const reason = reasonOf(f.rule, level);
    out.set(reason, [...new Set([...(out.get(reason) ?? []), f.rule])]);
  }
  return out;
}

interface Intended {
  readonly kind?: string;
  readonly document?: string;
  readonly rule?: string;
  readonly reason: string;
}

interface Disagreement {
  readonly document: string;
  readonly kind: string;
  readonly level: PodSecurityLevel;
  /** `strata` when only Strata refuses for this reason, `server` when only the server does. */
  readonly only: 'strata' | 'server';
  readonly serverReason: string;
  readonly rules: readonly string[];
}

const intended = JSON.parse(readFileSync(join(import.meta.dirname, '..', '__corpus__', 'intended-strictness.json'), 'utf8')) as Intended[];
const covers = (e: Intended, d: Disagreement) =>
  d.only === 'strata' &&
  (e.kind === undefined || e.kind === d.kind) &&
  (e.document === undefined || d.document.startsWith(`${e.document}:`)) &&
  (e.rule === undefined || d.rules.includes(e.rule));

const corpus = readCorpus('__corpus__/pod-security');
// A custom resource whose pod template is read by its shape has no CRD the server could be given
// (the fixtures make up their kinds), and the admission plugin evaluates built-in kinds only: the
// server would name nothing for it, whatever it holds (see the ScaledJob entry of intended-strictness).
const fixtures = [...readCorpus('__fixtures__/valid'), ...readCorpus('__fixtures__/invalid')].filter((d) => {
  const object = { manifest: d.manifest, file: d.id };
  return podViewsOf(object).length > 0 && !podTemplateByShape(object);
});

const verdicts = new Map<CorpusDocument, Record<PodSecurityLevel, ServerVerdict>>();

const server = differentialServer(
  [...corpus, ...fixtures].map((d) => d.manifest),
  async () => {
    for (const level of LEVELS) {
      const labels: Record<string, string> = {};
      for (const mode of ['enforce', 'warn', 'audit']) {
        labels[`pod-security.kubernetes.io/${mode}`] = level;
        labels[`pod-security.kubernetes.io/${mode}-version`] = VERSION;
      }
      await server.namespace(`pod-security-${level}`, labels);
    }
    const docs = [...corpus, ...fixtures];
    // A few requests at a time: enough to keep the server busy, few enough for two cores.
    for (let i = 0; i < docs.length; i += 8) {
      await Promise.all(
        docs.slice(i, i + 8).map(async (doc) => {
          const [baseline, restricted] = await Promise.all(LEVELS.map((level) => server.dryRun(doc.manifest, `pod-security-${level}`)));
          verdicts.set(doc, { baseline: baseline!, restricted: restricted! });
        }),
      );
    }
  },
);

function compare(docs: readonly CorpusDocument[]) {
  const disagreements: Disagreement[] = [];
  const invalid: { document: string; message: string }[] = [];
  const tally = { compared: 0, identical: 0, listed: 0 };
  for (const doc of docs) {
    const v = verdicts.get(doc)!;
    for (const level of LEVELS) {
      const theirs = serverReasons(v[level], level);
      if (theirs === 'invalid') {
        if (level === 'baseline') invalid.push({ document: doc.id, message: v[level].message });
        continue;
      }
      tally.compared++;
      const ours = strataReasons(doc, level);
      const found: Disagreement[] = [];
      for (const [reason, rules] of ours) {
        if (!theirs.includes(reason)) found.push({ document: doc.id, kind: doc.manifest.kind, level, only: 'strata', serverReason: reason, rules });
      }
      for (const reason of theirs) {
        if (!ours.has(reason)) found.push({ document: doc.id, kind: doc.manifest.kind, level, only: 'server', serverReason: reason, rules: [] });
      }
      if (found.length === 0) tally.identical++;
      else if (found.every((d) => intended.some((e) => covers(e, d)))) tally.listed++;
      disagreements.push(...found);
    }
  }
  return { disagreements, invalid, tally };
}

const percent = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`;

describe('Pod Security: Strata and the API server agree', () => {
  it('on every document of the corpus and the fixtures, outside the table of intended strictness', () => {
    const { disagreements, invalid, tally } = compare([...corpus, ...fixtures]);
    const unlisted = disagreements.filter((d) => !intended.some((e) => covers(e, d)));
    const outside = tally.compared - tally.listed;
    console.log(
      `Pod Security differential: ${corpus.length + fixtures.length} documents (${corpus.length} corpus, ${fixtures.length} from fixtures), ` +
        `${tally.compared} verdicts (baseline and restricted). Identical: ${tally.identical}/${tally.compared} (${percent(tally.identical, tally.compared)}); ` +
        `outside the intended-strictness table: ${tally.identical}/${outside} (${percent(tally.identical, outside)}); ` +
        `${tally.listed} verdicts differ as listed there; ${invalid.length} documents refused before admission (field validation), not compared:` +
        invalid.map((i) => `\n  ${i.document}: ${i.message}`).join(''),
    );
    expect(unlisted).toStrictEqual([]);
  });

  it('and every entry of the intended-strictness table is still needed', () => {
    const { disagreements } = compare([...corpus, ...fixtures]);
    expect(intended.filter((e) => !disagreements.some((d) => covers(e, d)))).toStrictEqual([]);
  });

  it('on documents the server accepts as valid: the corpus has no field error', () => {
    expect(compare(corpus).invalid).toStrictEqual([]);
  });

  it('while the corpus makes the server name every Pod Security control', () => {
    const named = new Set<string>();
    for (const doc of corpus) {
      for (const level of LEVELS) {
        const r = serverReasons(verdicts.get(doc)![level], level);
        if (r !== 'invalid') for (const reason of r) named.add(reason);
      }
    }
    expect([...named].sort()).toStrictEqual([...KNOWN_REASONS].sort());
  });

  it('and every Pod Security rule of Strata reports something in it', () => {
    const reported = new Set(corpus.flatMap((doc) => runPolicy([{ manifest: doc.manifest, file: doc.id }], {}, podSecurityRules).map((f) => f.rule)));
    expect(podSecurityRules.map((r) => r.id).filter((id) => !reported.has(id))).toStrictEqual([]);
  });
});
