import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesIn, findRoot } from '@strata/project';
import { resolveHelper } from '@strata/server-validation';
import { formatProblem, validate } from '@strata/validate';
import { addCrds } from '../src/index.ts';
import { workspace } from './workspace.ts';

// CRDs the API server refuses (kubectl apply --dry-run=server on kube-apiserver 1.36 says so for
// each) and that validate reports, each a one-field change of a valid CRD: crd add refuses them in
// validate's words, at the file and line, and writes nothing.

/** A CRD of `group` whose spec schema is `spec` (YAML at its indentation), with `extra` lines of the version. */
const crd = (group: string, spec: string, extra = '') => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: quxs.${group}
spec:
  group: ${group}
  names: {kind: Qux, plural: quxs}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true${extra}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
${spec}
`;

const CASES: [string, string, string][] = [
  [
    'an object property without type (not structural)',
    crd('odd.example.com', '            properties: {a: {type: string}}'),
    'spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
  ],
  [
    'a CEL rule that does not compile',
    crd(
      'odd2.example.com',
      '            type: object\n            x-kubernetes-validations: [{rule: "self.a >>> 1"}]\n            properties: {a: {type: integer}}',
    ),
    'x-kubernetes-validations[0].rule: Invalid value',
  ],
  [
    'a default of another type than its field',
    crd('odd3.example.com', '            type: object\n            properties: {a: {type: integer, default: "x"}}'),
    'spec.validation.openAPIV3Schema.properties[spec].properties[a].default: Invalid value: "string":  in body must be of type integer',
  ],
  [
    'a printer column of no type the server knows',
    crd('odd4.example.com', '            type: object', '\n    additionalPrinterColumns: [{name: Age, type: bogus, jsonPath: ".spec"}]'),
    'spec.additionalPrinterColumns[0].type: Invalid value: "bogus": must be one of boolean,date,integer,number,string',
  ],
  [
    'additionalProperties beside properties',
    crd(
      'odd5.example.com',
      '            type: object\n            properties: {a: {type: string}}\n            additionalProperties: {type: string}',
    ),
    'spec.validation.openAPIV3Schema.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
  ],
];

/** Every file of the tree but Strata's own state, with its content. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of filesIn(root, { skip: ['node_modules'] })) {
    const rel = relative(root, file);
    if (!rel.startsWith('.strata')) out[rel] = readFileSync(file, 'utf8');
  }
  return out;
}

describe('crd add of a CRD the API server refuses', () => {
  const ws = workspace();
  afterAll(() => ws.dispose());

  it.each(CASES)("refuses %s in validate's words at its file and line, and writes nothing", { timeout: 120_000 }, async (_, text, words) => {
    const file = join(ws.root, 'qux.yaml');
    writeFileSync(file, text);
    try {
      const reported = (await validate(ws.root, [file], { policy: false })).problems.filter((p) => p.severity === 'error');
      expect(reported.length).toBeGreaterThan(0);
      expect(reported.some((p) => p.message.includes(words) || `${p.path}: ${p.message}`.includes(words))).toBe(true);
      const before = snapshot(ws.root);
      const refusal = addCrds(ws.root, file, undefined, { models: false });
      await expect(refusal).rejects.toThrow(Error);
      const lines = String(await refusal.catch((e: Error) => e.message)).split('\n');
      expect(lines).toStrictEqual(reported.map((p) => `${formatProblem({ ...p, file: 'qux.yaml' })}; nothing was written`));
      expect(lines.every((l) => /^qux\.yaml:\d+: apiextensions\.k8s\.io\/v1\/CustomResourceDefinition quxs\.odd\d?\.example\.com: /.test(l))).toBe(
        true,
      );
      expect(snapshot(ws.root)).toStrictEqual(before);
    } finally {
      rmSync(file);
    }
  });
});

describe('crd add where the server field checks are not built', () => {
  const ws = workspace();
  const empty = mkdtempSync(join(tmpdir(), 'strata-no-servers-'));
  const saved = { cache: process.env.STRATA_SERVER_CACHE, helper: process.env.STRATA_SERVER_VALIDATION };
  afterAll(() => {
    ws.dispose();
    rmSync(empty, { recursive: true, force: true });
  });
  const widgets = join(findRoot(), 'packages/crds/__fixtures__/widgets.yaml');
  const SKIPPED =
    "crd add: the API server's checks of the CRDs were skipped, as the server field checks are not built yet; run `node scripts/install-servers.mjs server-validation` (minutes, once per machine) and crd add again to have them run";

  it("adds the CRD and says in one note that the API server's checks were skipped and how to build them", { timeout: 120_000 }, async () => {
    process.env.STRATA_SERVER_CACHE = empty;
    delete process.env.STRATA_SERVER_VALIDATION;
    try {
      const r = await addCrds(ws.root, widgets, undefined, { models: false });
      expect(r.notes).toStrictEqual([SKIPPED]);
      expect(r.written).toContain('crds/toys.example.com_widgets.yaml');
    } finally {
      for (const [key, value] of [
        ['STRATA_SERVER_CACHE', saved.cache],
        ['STRATA_SERVER_VALIDATION', saved.helper],
      ] as const)
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
    }
  });

  it.skipIf(resolveHelper() === undefined)('says nothing of the kind where they are built and ran', { timeout: 120_000 }, async () => {
    const r = await addCrds(ws.root, widgets, undefined, { models: false });
    expect(r.notes).toBeUndefined();
  });
});
