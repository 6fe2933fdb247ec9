import { describe, expect, it } from 'vitest';
import { noSecretValues } from '../../src/rules/no-secret-values.ts';
import { check, manifest, summary } from '../support.ts';

describe('no-secret-values', () => {
  it('stays quiet for a Secret without values and for other kinds with data', () => {
    const empty = manifest('v1', 'Secret', 'pull', { type: 'kubernetes.io/dockerconfigjson', data: {} });
    const config = manifest('v1', 'ConfigMap', 'settings', { data: { mode: 'fast' } });
    const foreign = manifest('example.com/v1', 'Secret', 'other', { data: { a: 'b' } });
    expect(check(noSecretValues, [empty, config, foreign])).toStrictEqual([]);
  });

  it('reports data and stringData of a v1 Secret, each at its field', () => {
    const s = manifest('v1', 'Secret', 'db', { data: { password: 'aHVudGVyMg==' }, stringData: { user: 'app' } });
    expect(summary(check(noSecretValues, [s]))).toStrictEqual([
      {
        name: 'db',
        path: 'data',
        message: 'a Secret with values must not be committed; reference it (secretKeyRef) or produce it with an ExternalSecret',
      },
      {
        name: 'db',
        path: 'stringData',
        message: 'a Secret with values must not be committed; reference it (secretKeyRef) or produce it with an ExternalSecret',
      },
    ]);
  });

  it('reports a secretGenerator with literals, and not one fed from an env file', () => {
    const k = manifest('kustomize.config.k8s.io/v1beta1', 'Kustomization', '', {
      secretGenerator: [
        { name: 'from-file', envs: ['secret.env'] },
        { name: 'token', literals: ['token=abc'] },
      ],
    });
    expect(summary(check(noSecretValues, [k]))).toStrictEqual([
      {
        name: '',
        path: 'secretGenerator[1].literals',
        message: 'secretGenerator token holds literal values; feed it from an untracked env file or use an ExternalSecret',
      },
    ]);
  });
});

describe('no-secret-values on External Secrets templates', () => {
  const externalSecret = (template: unknown, apiVersion = 'external-secrets.io/v1') =>
    manifest(apiVersion, 'ExternalSecret', 'db', {
      spec: {
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
        target: { name: 'db-credentials', template },
        data: [{ secretKey: 'password', remoteRef: { key: 'shop/db', property: 'password' } }],
      },
    });
  const fix =
    'keep the value in the secret store and fetch it (a data entry, then {{ .key }} in the template), or keep a value that is not secret in a ConfigMap';

  it('reports a template value of literal text, which External Secrets writes into the Secret as it stands, in v1 and v1beta1', () => {
    for (const apiVersion of ['external-secrets.io/v1', 'external-secrets.io/v1beta1']) {
      expect(summary(check(noSecretValues, [externalSecret({ data: { password: 'hunter2-literal-prod-password' } }, apiVersion)]))).toStrictEqual([
        {
          name: 'db',
          path: 'spec.target.template.data.password',
          message: `template value password reads no fetched data, and External Secrets writes its text into the Secret "db-credentials" as it stands, so the secret lives in the repository: ${fix}`,
        },
      ]);
    }
  });

  it('reports a URL whose password is literal, with or without fetched data around it', () => {
    const found = check(noSecretValues, [
      externalSecret({ data: { url: 'postgres://admin:S3cr3tP4ss@db:5432/app', dsn: 'postgres://admin:S3cr3tP4ss@{{ .host }}:5432/app' } }),
    ]);
    expect(summary(found).map((f) => [f.path, f.message.split(', so')[0]])).toStrictEqual([
      [
        'spec.target.template.data.url',
        'template value url reads no fetched data, and External Secrets writes its text into the Secret "db-credentials" as it stands',
      ],
      [
        'spec.target.template.data.dsn',
        'template value dsn holds a URL whose password is literal text, which External Secrets writes into the Secret "db-credentials"',
      ],
    ]);
  });

  it('allows values that read fetched data, literal text around them included, and templates that write nothing of their own', () => {
    const template = {
      engineVersion: 'v2',
      data: {
        literal: 'hunter2',
        password: '{{ .password }}',
        trimmed: '{{- .password -}}',
        url: 'postgres://admin:{{ .password }}@db:5432/app',
        dashed: '{{ index . "db-password" }}',
        variable: '{{ range $k, $v := . }}{{ $k }}={{ $v }}\n{{ end }}',
        piped: '{{ .dburl | replace "postgres://" "postgresql://" }}',
        config: 'datasources:\n- name: Graphite\n  url: http://localhost:8080\n  password: "{{ .password }}"\n',
        generated: '{{ randAlphaNum 32 }}',
        empty: '',
      },
      templateFrom: [{ literal: 'password: {{ .password }}' }, { literal: 'team: shop', target: 'Labels' }],
    };
    // The one literal value among them is the only finding.
    expect(summary(check(noSecretValues, [externalSecret(template)])).map((f) => f.path)).toStrictEqual(['spec.target.template.data.literal']);
  });

  it('reports literal text hidden in an action or beside a comment, and a templateFrom literal that reads nothing', () => {
    const found = check(noSecretValues, [
      externalSecret({
        data: { quoted: '{{ "hunter2" }}', encoded: '{{ `aHVudGVyMg==` | b64dec }}', commented: '{{/* .password */}}hunter2', number: '{{ 1.5 }}x' },
        templateFrom: [{ literal: 'password: hunter2' }, { literal: 'user: {{ .user }}' }, { literal: 'token: abc', target: 'Data' }],
      }),
    ]);
    expect(summary(found).map((f) => f.path)).toStrictEqual([
      'spec.target.template.data.quoted',
      'spec.target.template.data.encoded',
      'spec.target.template.data.commented',
      'spec.target.template.data.number',
      'spec.target.template.templateFrom[0].literal',
      'spec.target.template.templateFrom[2].literal',
    ]);
    expect(found[4]?.message).toBe(
      `templateFrom 0's literal reads no fetched data, and External Secrets writes its text into the Secret "db-credentials" as it stands, so the secret lives in the repository: ${fix}`,
    );
  });

  it('reports a literal password written as a string constant of an action, though the value reads fetched data elsewhere', () => {
    const found = check(noSecretValues, [
      externalSecret({
        data: {
          quoted: 'postgres://{{ .user }}:{{ "hunter2" }}@db:5432/app',
          printed: 'postgres://{{ .user }}:{{ printf "%s" "hunter2" }}@db/app',
          trimmed: 'postgres://{{ .user }}:{{- `hunter2` -}}@db/app',
          fetched: 'postgres://{{ .user }}:{{ .password | quote }}@db/app',
          generated: 'postgres://{{ .user }}:{{ randAlphaNum 32 | quote }}@db/app',
          user: 'postgres://{{ "admin" }}:{{ .password }}@db/app',
        },
      }),
    ]);
    expect(summary(found).map((f) => [f.path, f.message.split(', so')[0]])).toStrictEqual(
      ['quoted', 'printed', 'trimmed'].map((key) => [
        `spec.target.template.data.${key}`,
        `template value ${key} holds a URL whose password is literal text, which External Secrets writes into the Secret "db-credentials"`,
      ]),
    );
  });

  it('reports a key/value connection string whose password is literal, and not one whose password is fetched', () => {
    const found = check(noSecretValues, [
      externalSecret({
        data: {
          dsn: 'host=db user={{ .user }} password=hunter2',
          quoted: "host=db user={{ .user }} password = 'hunter 2' sslmode=require",
          constant: 'user={{ .user }} password={{ "hunter2" }}',
          fetched: 'host=db user={{ .user }} password={{ .password }}',
          fetchedQuoted: "host=db user=app password='{{ .password }}'",
          empty: "host=db user={{ .user }} password=''",
          yaml: 'user: {{ .user }}\npassword: "{{ .password }}"',
        },
      }),
    ]);
    expect(summary(found).map((f) => [f.path, f.message.split(', so')[0]])).toStrictEqual(
      ['dsn', 'quoted', 'constant'].map((key) => [
        `spec.target.template.data.${key}`,
        `template value ${key} holds a connection string whose password is literal text, which External Secrets writes into the Secret "db-credentials"`,
      ]),
    );
  });

  it("reports a templateFrom ConfigMap's listed keys at the ConfigMap's data, as External Secrets renders them into the Secret", () => {
    const es = externalSecret({
      templateFrom: [
        { configMap: { name: 'tpl', items: [{ key: 'url' }, { key: 'config', templateAs: 'KeysAndValues' }, { key: 'fetched' }] } },
        { configMap: { name: 'labels', items: [{ key: 'team' }] }, target: 'Labels' },
      ],
    });
    const tpl = manifest('v1', 'ConfigMap', 'tpl', {
      data: {
        url: 'postgres://{{ .user }}:hunter2@db:5432/app',
        config: 'password: hunter2',
        fetched: 'postgres://app:{{ .password }}@db:5432/app',
        unlisted: 'password: hunter2',
      },
    });
    // Keeping the value in a ConfigMap is no fix for a ConfigMap that is itself the template.
    const templateFix = 'keep the value in the secret store and fetch it (a data entry, then {{ .key }} in the template)';
    const labels = manifest('v1', 'ConfigMap', 'labels', { data: { team: 'shop' } });
    // Not referenced: another namespace, another name.
    const elsewhere = manifest('v1', 'ConfigMap', 'tpl', { data: { url: 'postgres://app:hunter2@db/app' } }, 'other');
    const unrelated = manifest('v1', 'ConfigMap', 'settings', { data: { url: 'postgres://app:hunter2@db/app' } });
    expect(summary(check(noSecretValues, [es, tpl, labels, elsewhere, unrelated]))).toStrictEqual([
      {
        name: 'tpl',
        path: 'data.url',
        message: `value url is a template that ExternalSecret "db" renders (templateFrom 0) and holds a URL whose password is literal text, which External Secrets writes into the Secret "db-credentials", so the secret lives in the repository: ${templateFix}`,
      },
      {
        name: 'tpl',
        path: 'data.config',
        message: `value config is a template that ExternalSecret "db" renders (templateFrom 0) and reads no fetched data, and External Secrets writes its text into the Secret "db-credentials" as it stands, so the secret lives in the repository: ${templateFix}`,
      },
    ]);
  });

  it("reports a templateFrom ConfigMap's key for a ClusterExternalSecret in any namespace, and for a PushSecret in its own", () => {
    const templateFrom = [{ configMap: { name: 'tpl', items: [{ key: 'token' }] } }];
    const ces = manifest(
      'external-secrets.io/v1',
      'ClusterExternalSecret',
      'shared',
      { spec: { namespaceSelectors: [{ matchLabels: { team: 'shop' } }], externalSecretSpec: { target: { template: { templateFrom } } } } },
      undefined,
    );
    const push = manifest('external-secrets.io/v1alpha1', 'PushSecret', 'db-push', {
      spec: { secretStoreRefs: [{ name: 'vault' }], selector: { secret: { name: 'db' } }, template: { templateFrom } },
    });
    const inShop = manifest('v1', 'ConfigMap', 'tpl', { data: { token: 'abc123' } });
    const inOther = manifest('v1', 'ConfigMap', 'tpl', { data: { token: 'abc123' } }, 'other');
    expect(
      check(noSecretValues, [ces, push, inShop, inOther]).map((f) => [f.object.manifest.metadata.namespace, f.path, f.message.split(' and ')[0]]),
    ).toStrictEqual([
      ['shop', 'data.token', 'value token is a template that ClusterExternalSecret "shared" (templateFrom 0)'],
      ['other', 'data.token', 'value token is a template that ClusterExternalSecret "shared" renders (templateFrom 0)'],
    ]);
    expect(check(noSecretValues, [ces, push, inShop]).map((f) => f.message)).toStrictEqual([
      'value token is a template that ClusterExternalSecret "shared" (templateFrom 0) and PushSecret "db-push" (templateFrom 0) render and reads no fetched data, and External Secrets writes its text into the Secret it makes as it stands, and reads no data of its source Secret, and External Secrets pushes its text to its secret stores as it stands, so the secret lives in the repository: keep the value in the secret store and fetch it (a data entry, then {{ .key }} in the template); or keep the value in the source Secret (made in the cluster, never committed) and read it in the template ({{ .key }})',
    ]);
  });

  it('reports a templateFrom ConfigMap key that several ExternalSecrets render once, naming each of them', () => {
    const templateFrom = (i: number) => [
      ...Array.from({ length: i }, () => ({ literal: 'user: {{ .user }}' })),
      { configMap: { name: 'tpl', items: [{ key: 'url' }, { key: 'config' }] } },
    ];
    const es = (name: string, i: number, target?: string) =>
      manifest('external-secrets.io/v1', 'ExternalSecret', name, {
        spec: {
          secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' },
          target: { ...(target && { name: target }), template: { templateFrom: templateFrom(i) } },
        },
      });
    const tpl = manifest('v1', 'ConfigMap', 'tpl', { data: { url: 'postgres://app:hunter2@db:5432/app', config: 'password: {{ .password }}' } });
    const templateFix = 'keep the value in the secret store and fetch it (a data entry, then {{ .key }} in the template)';
    expect(summary(check(noSecretValues, [es('orders', 0, 'orders-db'), es('billing', 1, 'billing-db'), tpl]))).toStrictEqual([
      {
        name: 'tpl',
        path: 'data.url',
        message: `value url is a template that ExternalSecret "orders" (templateFrom 0) and ExternalSecret "billing" (templateFrom 1) render and reads no fetched data, and External Secrets writes its text into the Secrets "orders-db" and "billing-db" as it stands, so the secret lives in the repository: ${templateFix}`,
      },
    ]);
    // A third user that names no target, and one that names the same target, are listed too; the Secret once.
    expect(
      check(noSecretValues, [es('orders', 0, 'orders-db'), es('again', 0, 'orders-db'), es('anon', 0), tpl]).map((f) => f.message),
    ).toStrictEqual([
      `value url is a template that ExternalSecret "orders" (templateFrom 0), ExternalSecret "again" (templateFrom 0) and ExternalSecret "anon" (templateFrom 0) render and reads no fetched data, and External Secrets writes its text into the Secret "orders-db" and the Secret ExternalSecret "anon" makes as it stands, so the secret lives in the repository: ${templateFix}`,
    ]);
  });

  it("reports a templateFrom ConfigMap's key for a ClusterPushSecret in any namespace, as its shipped CRD scopes it cluster-wide", () => {
    const templateFrom = [{ configMap: { name: 'tpl', items: [{ key: 'token' }] } }];
    const cluster = manifest(
      'external-secrets.io/v1alpha1',
      'ClusterPushSecret',
      'shared-push',
      {
        spec: {
          namespaceSelectors: [{ matchLabels: { team: 'shop' } }],
          pushSecretSpec: { secretStoreRefs: [{ name: 'vault' }], selector: { secret: { name: 'db' } }, template: { templateFrom } },
        },
      },
      undefined,
    );
    const inShop = manifest('v1', 'ConfigMap', 'tpl', { data: { token: 'abc123' } });
    const inOther = manifest('v1', 'ConfigMap', 'tpl', { data: { token: 'abc123' } }, 'other');
    // A ConfigMap of a custom group is no ConfigMap External Secrets reads.
    const custom = manifest('acme.io/v1', 'ConfigMap', 'tpl', { data: { token: 'abc123' } }, 'third');
    expect(
      check(noSecretValues, [cluster, inShop, inOther, custom]).map((f) => [
        f.object.manifest.metadata.namespace,
        f.path,
        f.message.split(' and ')[0],
      ]),
    ).toStrictEqual([
      ['shop', 'data.token', 'value token is a template that ClusterPushSecret "shared-push" renders (templateFrom 0)'],
      ['other', 'data.token', 'value token is a template that ClusterPushSecret "shared-push" renders (templateFrom 0)'],
    ]);
  });

  it('matches the External Secrets kinds by group and kind, so a kind named like a property of every object is no template kind', () => {
    const template = { target: { template: { data: { token: 'abc123' } } } };
    const objects = ['constructor', 'toString', '__proto__', 'hasOwnProperty'].map((kind) =>
      manifest('external-secrets.io/v1', kind, 'odd', { spec: template }),
    );
    expect(check(noSecretValues, objects)).toStrictEqual([]);
  });

  it("reports a ClusterExternalSecret's template at its externalSecretSpec, and leaves other groups' ExternalSecrets alone", () => {
    const ces = manifest(
      'external-secrets.io/v1',
      'ClusterExternalSecret',
      'shared',
      {
        spec: {
          namespaceSelectors: [{ matchLabels: { team: 'shop' } }],
          externalSecretSpec: { target: { template: { data: { token: 'abc123' } } } },
        },
      },
      undefined,
    );
    const other = manifest('example.com/v1', 'ExternalSecret', 'x', { spec: { target: { template: { data: { token: 'abc123' } } } } });
    expect(summary(check(noSecretValues, [ces, other]))).toStrictEqual([
      {
        name: 'shared',
        path: 'spec.externalSecretSpec.target.template.data.token',
        message: `template value token reads no fetched data, and External Secrets writes its text into the Secret it makes as it stands, so the secret lives in the repository: ${fix}`,
      },
    ]);
  });
});

describe('no-secret-values on PushSecret templates', () => {
  const pushSecret = (template: unknown) =>
    manifest('external-secrets.io/v1alpha1', 'PushSecret', 'db-push', {
      spec: {
        secretStoreRefs: [{ kind: 'ClusterSecretStore', name: 'vault' }],
        selector: { secret: { name: 'db' } },
        template,
        data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: 'shop/db', property: 'password' } } }],
      },
    });
  const fix =
    'keep the value in the source Secret (made in the cluster, never committed) and read it in the template ({{ .key }}), or keep a value that is not secret out of the pushed data';

  it('reports a template value or templateFrom literal of literal text, which External Secrets pushes to the secret stores as it stands', () => {
    const found = check(noSecretValues, [
      pushSecret({
        data: { password: 'hunter2-literal-prod-password', url: 'postgres://admin:S3cr3tP4ss@{{ .host }}:5432/app' },
        templateFrom: [{ literal: 'token: abc123' }],
      }),
    ]);
    expect(summary(found)).toStrictEqual([
      {
        name: 'db-push',
        path: 'spec.template.data.password',
        message: `template value password reads no data of its source Secret, and External Secrets pushes its text to its secret stores as it stands, so the secret lives in the repository: ${fix}`,
      },
      {
        name: 'db-push',
        path: 'spec.template.data.url',
        message: `template value url holds a URL whose password is literal text, which External Secrets pushes to its secret stores, so the secret lives in the repository: ${fix}`,
      },
      {
        name: 'db-push',
        path: 'spec.template.templateFrom[0].literal',
        message: `templateFrom 0's literal reads no data of its source Secret, and External Secrets pushes its text to its secret stores as it stands, so the secret lives in the repository: ${fix}`,
      },
    ]);
  });

  it("allows a template that reads the source Secret's data, and reports a ClusterPushSecret's at its pushSecretSpec", () => {
    const reads = pushSecret({ data: { password: '{{ .password }}', url: 'postgres://admin:{{ .password }}@db:5432/app' } });
    const cluster = manifest(
      'external-secrets.io/v1alpha1',
      'ClusterPushSecret',
      'shared-push',
      {
        spec: {
          namespaceSelectors: [{ matchLabels: { team: 'shop' } }],
          pushSecretSpec: { secretStoreRefs: [{ name: 'vault' }], selector: { secret: { name: 'db' } }, template: { data: { token: 'abc123' } } },
        },
      },
      undefined,
    );
    expect(summary(check(noSecretValues, [reads, cluster])).map((f) => [f.name, f.path])).toStrictEqual([
      ['shared-push', 'spec.pushSecretSpec.template.data.token'],
    ]);
  });
});
