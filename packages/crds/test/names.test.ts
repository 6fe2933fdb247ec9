import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ensureServers, startServer, type Server } from '@strata/verify';
import { addCrds, removeCrds } from '../src/index.ts';
import { workspace } from './workspace.ts';

// On a fresh machine the first test to ask builds the server binaries (minutes, once).
const BUILD_TIMEOUT = 30 * 60_000;

interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    group: string;
    scope?: string;
    names: { kind: string; plural: string; singular?: string; listKind?: string; shortNames?: string[]; categories?: string[] };
    versions: { name: string; served: boolean; storage: boolean; schema: object }[];
    preserveUnknownFields?: boolean;
    conversion?: object;
  };
}

const schema = (field: string) => ({
  openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { [field]: { type: 'integer' } } } } },
});

/** A CRD the server takes; each case changes one name of it. */
function base(): Crd {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.toys.example.com' },
    spec: {
      group: 'toys.example.com',
      scope: 'Namespaced',
      names: { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget' },
      versions: [
        { name: 'v1', served: true, storage: true, schema: schema('size') },
        { name: 'v1beta1', served: true, storage: false, schema: schema('width') },
      ],
    },
  };
}

/** Sets plural and group, and the name the server asks for, <plural>.<group>. */
const named = (c: Crd, plural: string, group = c.spec.group) => {
  c.spec.names.plural = plural;
  c.spec.group = group;
  c.metadata.name = `${plural}.${group}`;
};

const APPROVAL = 'api-approved.kubernetes.io';
const WEBHOOK = { name: 'convert', namespace: 'toys', path: '/convert' };

const long = (n: number, start = 'x') => `${start}${'a'.repeat(n - 1)}`;

interface Case {
  readonly name: string;
  readonly change: (c: Crd) => void;
  /** The field refused, as crd add names it and as the server's causes name it (the server's when it differs); none when both take it. */
  readonly refused?: string | { readonly crdAdd: string; readonly server: string };
}

const cases: Case[] = [
  { name: 'valid', change: () => {} },
  {
    name: 'valid-defaults',
    change: (c) => {
      delete c.spec.names.singular;
      delete c.spec.names.listKind;
    },
  },
  {
    name: 'valid-lower-case-kind',
    change: (c) => {
      c.spec.names.kind = 'widget';
      delete c.spec.names.listKind;
    },
  },
  { name: 'valid-kind-with-hyphen-and-digit', change: (c) => Object.assign(c.spec.names, { kind: 'Wid-get2', listKind: 'Wid-get2List' }) },
  { name: 'valid-63-character-plural', change: (c) => named(c, long(63, 'w')) },
  {
    name: 'valid-59-character-kind-with-default-list-kind',
    change: (c) => {
      c.spec.names.kind = long(59, 'W');
      delete c.spec.names.listKind;
    },
  },
  { name: 'valid-group-of-many-parts', change: (c) => named(c, 'widgets', 'toys-2.eu.example.com') },
  {
    name: 'valid-version-names',
    change: (c) => {
      c.spec.versions[0]!.name = 'stable';
      c.spec.versions[1]!.name = long(63, 'v');
    },
  },
  { name: 'version-mixed-case-underscore', change: (c) => (c.spec.versions[1]!.name = 'V1_beta'), refused: 'spec.versions[1].name' },
  { name: 'version-path', change: (c) => (c.spec.versions[1]!.name = '../v1'), refused: 'spec.versions[1].name' },
  { name: 'version-digit-first', change: (c) => (c.spec.versions[0]!.name = '1v'), refused: 'spec.versions[0].name' },
  { name: 'version-64-characters', change: (c) => (c.spec.versions[1]!.name = long(64, 'v')), refused: 'spec.versions[1].name' },
  { name: 'kind-path', change: (c) => (c.spec.names.kind = 'Wid/../get'), refused: 'spec.names.kind' },
  { name: 'kind-underscore', change: (c) => (c.spec.names.kind = 'Wid_get'), refused: 'spec.names.kind' },
  { name: 'kind-digit-first', change: (c) => (c.spec.names.kind = '2Widget'), refused: 'spec.names.kind' },
  {
    name: 'kind-60-characters-default-list-kind',
    change: (c) => {
      c.spec.names.kind = long(60, 'W');
      delete c.spec.names.listKind;
    },
    refused: { crdAdd: 'spec.names.kind', server: 'spec.names.listKind' },
  },
  { name: 'list-kind-dot', change: (c) => (c.spec.names.listKind = 'Widget.List'), refused: 'spec.names.listKind' },
  { name: 'list-kind-same-as-kind', change: (c) => (c.spec.names.listKind = 'Widget'), refused: 'spec.names.listKind' },
  { name: 'plural-upper-case', change: (c) => named(c, 'Widgets'), refused: 'spec.names.plural' },
  { name: 'plural-dot', change: (c) => named(c, 'wid.gets'), refused: 'spec.names.plural' },
  { name: 'singular-upper-case', change: (c) => (c.spec.names.singular = 'Widget'), refused: 'spec.names.singular' },
  { name: 'singular-path', change: (c) => (c.spec.names.singular = '../widget'), refused: 'spec.names.singular' },
  { name: 'group-without-dot', change: (c) => named(c, 'widgets', 'toys'), refused: 'spec.group' },
  { name: 'group-upper-case', change: (c) => named(c, 'widgets', 'Toys.example.com'), refused: 'spec.group' },
  { name: 'group-empty-part', change: (c) => named(c, 'widgets', 'toys..example.com'), refused: 'spec.group' },
  { name: 'group-hyphen-first', change: (c) => named(c, 'widgets', '-toys.example.com'), refused: 'spec.group' },
  { name: 'name-not-plural-dot-group', change: (c) => (c.metadata.name = 'gadgets.toys.example.com'), refused: 'metadata.name' },
  {
    name: 'name-over-253-characters',
    change: (c) => named(c, long(63, 'w'), `${long(60)}.${long(60)}.${long(60)}.example.com`),
    refused: 'metadata.name',
  },
  { name: 'valid-cluster-scope', change: (c) => (c.spec.scope = 'Cluster') },
  { name: 'valid-storage-version-not-served', change: (c) => (c.spec.versions[0]!.served = false) },
  { name: 'valid-short-names-and-categories', change: (c) => Object.assign(c.spec.names, { shortNames: ['wd', 'w2'], categories: ['all', 'toys'] }) },
  { name: 'short-name-upper-case', change: (c) => (c.spec.names.shortNames = ['wd', 'WD']), refused: 'spec.names.shortNames[1]' },
  { name: 'category-space', change: (c) => (c.spec.names.categories = ['all things']), refused: 'spec.names.categories[0]' },
  { name: 'no-storage-version', change: (c) => (c.spec.versions[0]!.storage = false), refused: 'spec.versions' },
  { name: 'two-storage-versions', change: (c) => (c.spec.versions[1]!.storage = true), refused: 'spec.versions' },
  { name: 'version-name-twice', change: (c) => (c.spec.versions[1]!.name = 'v1'), refused: 'spec.versions' },
  { name: 'scope-lower-case', change: (c) => (c.spec.scope = 'namespaced'), refused: 'spec.scope' },
  { name: 'scope-missing', change: (c) => delete c.spec.scope, refused: 'spec.scope' },
  { name: 'protected-group-k8s-io', change: (c) => named(c, 'widgets', 'foo.k8s.io'), refused: `metadata.annotations[${APPROVAL}]` },
  { name: 'protected-group-kubernetes-io', change: (c) => named(c, 'widgets', 'kubernetes.io'), refused: `metadata.annotations[${APPROVAL}]` },
  {
    name: 'protected-group-approval-not-a-url',
    change: (c) => {
      named(c, 'widgets', 'toys.x-k8s.k8s.io');
      c.metadata.annotations = { [APPROVAL]: 'approved' };
    },
    refused: `metadata.annotations[${APPROVAL}]`,
  },
  {
    name: 'valid-protected-group-approved',
    change: (c) => {
      named(c, 'widgets', 'toys.k8s.io');
      c.metadata.annotations = { [APPROVAL]: 'https://github.com/kubernetes/enhancements/pull/1111' };
    },
  },
  {
    name: 'valid-protected-group-unapproved',
    change: (c) => {
      named(c, 'widgets', 'toys.kubernetes.io');
      c.metadata.annotations = { [APPROVAL]: 'unapproved, experimental only' };
    },
  },
  { name: 'valid-group-ending-like-k8s-io', change: (c) => named(c, 'widgets', 'toysk8s.io') },
  { name: 'preserve-unknown-fields', change: (c) => (c.spec.preserveUnknownFields = true), refused: 'spec.preserveUnknownFields' },
  { name: 'valid-preserve-unknown-fields-false', change: (c) => (c.spec.preserveUnknownFields = false) },
  { name: 'valid-conversion-none', change: (c) => (c.spec.conversion = { strategy: 'None' }) },
  {
    name: 'valid-conversion-webhook',
    change: (c) => (c.spec.conversion = { strategy: 'Webhook', webhook: { clientConfig: { service: WEBHOOK }, conversionReviewVersions: ['v1'] } }),
  },
  { name: 'conversion-without-strategy', change: (c) => (c.spec.conversion = {}), refused: 'spec.conversion.strategy' },
  { name: 'conversion-strategy-lower-case', change: (c) => (c.spec.conversion = { strategy: 'webhook' }), refused: 'spec.conversion.strategy' },
  {
    name: 'conversion-webhook-without-client',
    change: (c) => (c.spec.conversion = { strategy: 'Webhook' }),
    refused: { crdAdd: 'spec.conversion.webhook.clientConfig', server: 'spec.conversion.webhookClientConfig' },
  },
  {
    name: 'conversion-webhook-url-and-service',
    change: (c) =>
      (c.spec.conversion = {
        strategy: 'Webhook',
        webhook: { clientConfig: { service: WEBHOOK, url: 'https://convert.example.com/' }, conversionReviewVersions: ['v1'] },
      }),
    refused: { crdAdd: 'spec.conversion.webhook.clientConfig', server: 'spec.conversion.webhookClientConfig' },
  },
  {
    name: 'conversion-review-version-unknown',
    change: (c) => (c.spec.conversion = { strategy: 'Webhook', webhook: { clientConfig: { service: WEBHOOK }, conversionReviewVersions: ['v2'] } }),
    refused: { crdAdd: 'spec.conversion.webhook.conversionReviewVersions', server: 'spec.conversion.conversionReviewVersions' },
  },
  ...(
    [
      ['conversion-url-http', { url: 'http://convert.example.com/widgets' }, 'url'],
      ['conversion-url-query', { url: 'https://convert.example.com/widgets?a=b' }, 'url'],
      ['conversion-url-fragment', { url: 'https://convert.example.com/widgets#top' }, 'url'],
      ['conversion-url-user', { url: 'https://me@convert.example.com/widgets' }, 'url'],
      ['conversion-url-no-host', { url: 'https:///widgets' }, 'url'],
      ['conversion-url-no-scheme', { url: 'convert.example.com/widgets' }, 'url'],
      ['conversion-service-path-no-slash', { service: { ...WEBHOOK, path: 'convert' } }, 'service.path'],
      ['conversion-service-path-empty-segment', { service: { ...WEBHOOK, path: '/a//b' } }, 'service.path'],
      ['conversion-service-path-upper-case', { service: { ...WEBHOOK, path: '/Convert' } }, 'service.path'],
      ['conversion-service-port-70000', { service: { ...WEBHOOK, port: 70000 } }, 'service.port'],
      ['conversion-service-port-0', { service: { ...WEBHOOK, port: 0 } }, 'service.port'],

      ['valid-conversion-url', { url: 'HTTPS://convert.example.com:8443/widgets/v1' }, undefined],
      ['valid-conversion-service-trailing-slash', { service: { ...WEBHOOK, path: '/convert/v1/', port: 8443 } }, undefined],
    ] as const
  ).map(([name, clientConfig, field]) => ({
    name,
    change: (c: Crd) => (c.spec.conversion = { strategy: 'Webhook', webhook: { clientConfig, conversionReviewVersions: ['v1'] } }),
    ...(field
      ? { refused: { crdAdd: `spec.conversion.webhook.clientConfig.${field}`, server: `spec.conversion.webhookClientConfig.${field}` } }
      : {}),
  })),
  {
    // The server names the service's name for a missing namespace ("Required value", no more).
    name: 'conversion-service-no-namespace',
    change: (c) =>
      (c.spec.conversion = { strategy: 'Webhook', webhook: { clientConfig: { service: { name: 'convert' } }, conversionReviewVersions: ['v1'] } }),
    refused: { crdAdd: 'spec.conversion.webhook.clientConfig.service.namespace', server: 'spec.conversion.webhookClientConfig.service.name' },
  },
  {
    name: 'conversion-none-with-webhook',
    change: (c) => (c.spec.conversion = { strategy: 'None', webhook: { clientConfig: { service: WEBHOOK }, conversionReviewVersions: ['v1'] } }),
    refused: { crdAdd: 'spec.conversion.webhook', server: 'spec.conversion.webhookClientConfig' },
  },
];

interface Verdict {
  readonly accepted: boolean;
  /** The field the refusal names. */
  readonly fields: readonly string[];
  readonly message: string;
}

let server: Server;
let ws: { root: string; dispose(): void };
const crdAdd = new Map<string, Verdict>();
const onServer = new Map<string, Verdict>();

beforeAll(async () => {
  server = await startServer(await ensureServers());
  ws = workspace();
  for (const c of cases) {
    const crd = base();
    c.change(crd);
    const file = join(ws.root, `${c.name}.yaml`);
    writeFileSync(file, stringify(crd));
    try {
      await addCrds(ws.root, file, undefined, { models: false });
      crdAdd.set(c.name, { accepted: true, fields: [], message: '' });
      // Each case is judged alone, as the server judges it: a kept Widget would clash with the next.
      removeCrds(ws.root, crd.metadata.name, { models: false });
    } catch (err) {
      const message = (err as Error).message;
      const field = /^[^:]+: CustomResourceDefinition [^:]+: ([^:]+): /.exec(message)?.[1];
      crdAdd.set(c.name, { accepted: false, fields: field ? [field] : [], message });
    }
    // Created for real, as `strata verify` installs a project's CRDs: the server's whole check of a CRD.
    const r = await server.client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions?dryRun=All', crd);
    const status = r.body as { message?: string; details?: { causes?: { field?: string }[] } };
    onServer.set(c.name, {
      accepted: r.status < 300,
      fields: (status.details?.causes ?? []).flatMap((cause) => (cause.field ? [cause.field] : [])),
      message: status.message ?? '',
    });
  }
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
  ws?.dispose();
});

describe('crd add takes the CRD names the API server takes, and refuses those it refuses', () => {
  it('agrees with the server on every document of the corpus', () => {
    const verdicts = cases.map((c) => [c.name, crdAdd.get(c.name)!.accepted, onServer.get(c.name)!.accepted]);
    const agree = verdicts.filter(([, a, b]) => a === b).length;
    console.log(`crd names: crd add and the API server agree on ${agree} of ${cases.length} CRDs`);
    expect(verdicts.filter(([, a, b]) => a !== b).map(([name]) => [name, crdAdd.get(name as string), onServer.get(name as string)])).toStrictEqual(
      [],
    );
  });

  it('accepts each valid case, and refuses each invalid one at the field the server names', () => {
    for (const c of cases) {
      const ours = crdAdd.get(c.name)!;
      const theirs = onServer.get(c.name)!;
      if (!c.refused) {
        expect(ours, c.name).toMatchObject({ accepted: true });
        expect(theirs, c.name).toMatchObject({ accepted: true });
        continue;
      }
      const field = typeof c.refused === 'string' ? { crdAdd: c.refused, server: c.refused } : c.refused;
      expect(ours.fields, `${c.name}: ${ours.message}`).toStrictEqual([field.crdAdd]);
      expect(theirs.fields, `${c.name}: ${theirs.message}`).toContain(field.server);
    }
  });

  it('says in one line the file, the CRD, the field and how to fix it', () => {
    const message = (name: string) => crdAdd.get(name)!.message;
    expect(message('version-mixed-case-underscore')).toBe(
      `version-mixed-case-underscore.yaml: CustomResourceDefinition widgets.toys.example.com: spec.versions[1].name: "V1_beta" must be a DNS-1035 label ` +
        '(lower-case letters, digits and "-", starting with a letter and ending with a letter or digit, at most 63 characters), as the API server requires; ' +
        'rename the version (it is the version of the API path and of the schema file), such as "v1-beta"',
    );
    expect(message('kind-path')).toMatch(
      /kind-path\.yaml: CustomResourceDefinition widgets\.toys\.example\.com: spec\.names\.kind: "Wid\/\.\.\/get" must be .*; rename the kind, such as "Widget"$/,
    );
    expect(message('group-without-dot')).toMatch(
      /: spec\.group: "toys" must be a domain with at least one dot, as the API server requires; use a domain the project owns, such as "toys\.example\.com"$/,
    );
    expect(message('kind-60-characters-default-list-kind')).toMatch(
      /: spec\.names\.kind: "W\w{59}" makes the list kind "W\w{59}List", which must be .*; shorten the kind to at most 59 characters, such as "W\w{58}", or set spec\.names\.listKind$/,
    );
    expect(message('no-storage-version')).toMatch(
      /: spec\.versions: must have exactly one version marked as storage version \(none is\), as the API server requires; set storage: true on /,
    );
    expect(message('two-storage-versions')).toContain(
      'spec.versions: must have exactly one version marked as storage version ("v1" and "v1beta1" are)',
    );
    expect(message('scope-lower-case')).toMatch(
      /: spec\.scope: "namespaced" is not supported: supported values: "Cluster", "Namespaced", .*; write it "Namespaced"$/,
    );
    expect(message('protected-group-k8s-io')).toBe(
      'protected-group-k8s-io.yaml: CustomResourceDefinition widgets.foo.k8s.io: metadata.annotations[api-approved.kubernetes.io]: ' +
        'protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111, ' +
        'as the API server requires; use a group the project owns instead of one under k8s.io or kubernetes.io, or set the annotation to the URL of the approved API review',
    );
    // The server's own words for each rule.
    for (const [name, words] of [
      ['no-storage-version', 'must have exactly one version marked as storage version'],
      ['version-name-twice', 'must contain unique version names'],
      ['protected-group-k8s-io', 'protected groups must have approval annotation "api-approved.kubernetes.io"'],
      ['protected-group-approval-not-a-url', 'with either a URL or a reason starting with "unapproved"'],
      ['scope-lower-case', 'supported values: "Cluster", "Namespaced"'],
      ['preserve-unknown-fields', 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'],
      ['conversion-strategy-lower-case', 'supported values: "None", "Webhook"'],
      ['conversion-webhook-without-client', 'required when strategy is set to Webhook'],
      ['conversion-webhook-url-and-service', 'exactly one of url or service is required'],
      ['conversion-review-version-unknown', 'must include at least one of v1, v1beta1'],
      ['conversion-none-with-webhook', 'should not be set when strategy is not set to Webhook'],
      ['conversion-url-http', "'https' is the only allowed URL scheme"],
      ['conversion-url-query', 'query parameters are not permitted in the URL'],
      ['conversion-url-fragment', 'fragments are not permitted in the URL'],
      ['conversion-url-user', 'user information is not permitted in the URL'],
      ['conversion-url-no-host', 'host must be specified'],
      ['conversion-service-path-no-slash', "must start with a '/'"],
      ['conversion-service-path-empty-segment', 'segment[1] may not be empty'],
      ['conversion-service-port-70000', 'port is not valid: must be between 1 and 65535, inclusive'],
    ] as const) {
      expect(onServer.get(name)!.message, name).toContain(words);
      expect(message(name), name).toContain(words);
    }
    for (const c of cases) expect(crdAdd.get(c.name)!.message, c.name).not.toContain('\n');
  });
});
