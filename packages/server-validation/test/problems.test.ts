import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import type { Problem } from '@strata/project';
import { ensureHelper, NOT_BUILT_NOTE, serverFieldProblems, withoutSchemaDuplicates, type LocatedObject } from '../src/index.ts';

const BUILD_TIMEOUT = 20 * 60_000;
let helper: string;
beforeAll(async () => {
  helper = await ensureHelper();
}, BUILD_TIMEOUT);

/** One YAML document as the validator reads it, with the line of every field. */
function located(file: string, text: string): LocatedObject {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const lineOf = (path: readonly (string | number)[]) => {
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    }
    return 1;
  };
  return { file, line: 1, manifest: doc.toJS() as LocatedObject['manifest'], lineOf };
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicyy: Always
          resources:
            requests:
              cpu: 100mm
`;

describe('serverFieldProblems', () => {
  const saved = process.env.STRATA_SERVER_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.STRATA_SERVER_CACHE;
    else process.env.STRATA_SERVER_CACHE = saved;
  });

  it('reports each server error at its field and line, leaving unknown fields to the schema check', async () => {
    const custom = located('crd.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n');
    const twice = located('twice.yaml', deployment.replace(/ {10}imagePullPolicyy[^]*$/, '        - name: web\n          image: busybox:1.36\n'));
    const result = await serverFieldProblems([located('dist/dev/web.yaml', deployment), custom, twice], { helper });
    expect(result.checked).toBe(2);
    expect(result.note).toBeUndefined();
    expect(result.problems).toStrictEqual([
      {
        file: 'dist/dev/web.yaml',
        line: 22,
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'shop',
        name: 'web',
        path: 'spec.template.spec.containers[0].resources.requests[cpu]',
        message: "unable to parse quantity's suffix",
        rule: 'server-validation',
        severity: 'error',
      },
      // A duplicate value is validation's, not strict decoding's, and is reported.
      expect.objectContaining({ file: 'twice.yaml', line: 19, path: 'spec.template.spec.containers[1].name', message: 'Duplicate value: "web"' }),
    ]);
  });

  it('says once which kinds of the input it could not check offline, and finds the uid a server-side apply refuses', async () => {
    const binding = (name: string) =>
      located(`${name}.yaml`, `apiVersion: v1\nkind: Binding\nmetadata:\n  name: ${name}\ntarget:\n  kind: Node\n  name: node-1\n`);
    const review = located('review.yaml', 'apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: abc\n');
    const cidr = located(
      'cidr.yaml',
      'apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata:\n  name: r\n  uid: 0f1e-9a\nspec:\n  cidrs: ["10.0.0.0/33"]\n',
    );
    const result = await serverFieldProblems([binding('a'), review, binding('b'), cidr], { helper });
    expect(result.checked).toBe(1);
    expect(result.note).toBe(
      'server field checks: not checked offline, their create needs a cluster (`strata verify` checks them): authentication.k8s.io/v1 TokenReview, v1 Binding',
    );
    expect(result.problems.map((p) => `${p.file}:${p.line} ${p.path}`)).toStrictEqual(['cidr.yaml:5 metadata.uid', 'cidr.yaml:7 spec.cidrs[0]']);
    // The kinds the note names, for a later run that reuses these verdicts to say again.
    expect(result.notChecked).toStrictEqual(['authentication.k8s.io/v1 TokenReview', 'v1 Binding']);
  });

  it('checks nothing and says how to build the helper when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'strata-no-helper-'));
    process.env.STRATA_SERVER_CACHE = empty;
    try {
      const result = await serverFieldProblems([located('web.yaml', deployment)]);
      expect(result).toStrictEqual({ problems: [], checked: 0, note: NOT_BUILT_NOTE, skipped: true });
      expect(NOT_BUILT_NOTE).toBe(
        'server field checks: not built yet; run `node scripts/install-servers.mjs server-validation` (minutes, once per machine)',
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('withoutSchemaDuplicates', () => {
  /** A finding of `rule` at `path` of one object of `a.yaml`; its message is the rule's name unless given. */
  const of =
    (kind: string, apiVersion?: string) =>
    (rule: string, [path, message = rule]: readonly [string, string?]): Problem => ({
      file: 'a.yaml',
      ...(apiVersion ? { apiVersion } : {}),
      kind,
      name: 'web',
      path,
      message,
      rule,
      severity: 'error',
    });
  const deployment = of('Deployment', 'apps/v1');
  const certificate = of('Certificate');
  const unknown = 'unknown field (strict field validation)';

  it.each([
    {
      behaviour: 'drops a server finding on a field the schema check reported, however each writes the path',
      object: deployment,
      server: [['spec.template.spec.containers[0].resources.requests[cpu]'], ['spec.replicas']],
      schema: [['spec.template.spec.containers[0].resources.requests.cpu']],
      kept: [1],
    },
    {
      behaviour: 'drops the server finding on a missing required field that the schema reported at its parent',
      object: certificate,
      server: [
        ['spec.secretName', 'Required value'],
        ['spec.issuerRef', 'Required value'],
        ['spec.dnsNames', 'Required value'],
      ],
      schema: [['spec', "missing properties 'secretName', 'issuerRef'"]],
      kept: [2],
    },
    {
      behaviour: 'drops the server findings inside a field the schema found of the wrong type, and keeps those beside it',
      object: certificate,
      server: [
        ['spec.dnsNames.a', unknown],
        ['spec.dnsNamesExtra', unknown],
        ['spec.duration', 'Invalid value'],
      ],
      schema: [['spec.dnsNames', 'got object, want array']],
      kept: [1, 2],
    },
  ] satisfies {
    behaviour: string;
    object: typeof deployment;
    server: [string, string?][];
    schema: [string, string?][];
    kept: number[];
  }[])('$behaviour', ({ object, server, schema, kept }) => {
    const found = server.map((p) => object('server-validation', p));
    expect(
      withoutSchemaDuplicates(
        found,
        schema.map((p) => object('schema', p)),
      ),
    ).toStrictEqual(kept.map((i) => found[i]));
  });
});
