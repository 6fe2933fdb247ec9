import { inUserNamespace, isWindows } from './pod-security.ts';
import { containerLabel, sentenceStart, type ContainerView, type PodView } from './pods.ts';
import { at, list, rec, str, type Rec } from './read.ts';

/**
 * What the PodSecurity admission plugin of the API server refuses when it creates a pod in a
 * namespace whose `pod-security.kubernetes.io/enforce` label names a level, at the version that
 * `enforce-version` pins: the checks of k8s.io/pod-security-admission v0.36 (policy/check_*.go), each
 * at every version it has, with the restricted checks that replace baseline ones (OverrideCheckIDs).
 * The rules in `rules/` judge a pod against the latest Pod Security Standards at a severity an env may
 * lower; this is the admission's own decision for one namespace, which no setting changes.
 */

export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
export const ENFORCE_VERSION_LABEL = 'pod-security.kubernetes.io/enforce-version';

/**
 * The six labels the PodSecurity admission reads on a Namespace (api.PolicyToEvaluate), in its
 * order: each mode's level and the version of its checks. It validates every one on a create, not
 * only the enforce pair: a Namespace with `warn: Restricted` is refused like one with `enforce: Restricted`.
 */
export const POD_SECURITY_LABELS = (['enforce', 'audit', 'warn'] as const).flatMap((mode) => [
  { label: `pod-security.kubernetes.io/${mode}`, kind: 'level' as const },
  { label: `pod-security.kubernetes.io/${mode}-version`, kind: 'version' as const },
]);

/** A namespace's enforce policy: a level, and the minor version of 1.x whose checks apply (Infinity for latest). */
export interface EnforcePolicy {
  readonly level: 'privileged' | 'baseline' | 'restricted';
  readonly minor: number;
  /** `restricted:latest`, `baseline:v1.30`, as the server names it in its refusals. */
  readonly shown: string;
}

/** A label value the server refuses on a Namespace (api.PolicyToEvaluate): it never creates one with it. */
export interface LabelProblem {
  readonly label: string;
  readonly value: string;
  /** The server's own words (api.ParseLevel, api.ParseVersion). */
  readonly message: string;
}

const LEVELS = ['privileged', 'baseline', 'restricted'] as const;
const LEVEL_MESSAGE = `must be one of ${LEVELS.join(', ')}`;
const VERSION_MESSAGE = 'must be "latest" or "v1.x"';
/** The largest minor Go's strconv.Atoi reads on the 64-bit servers: past it, `v1.N` is no version. */
const MAX_MINOR = 2n ** 63n - 1n;

/** The minor of a version label (Infinity for latest), or undefined where api.ParseVersion refuses it. */
function parseVersion(value: string): number | undefined {
  if (value === 'latest') return Number.POSITIVE_INFINITY;
  const m = /^v1\.([0-9]|[1-9][0-9]*)$/.exec(value);
  if (!m || BigInt(m[1]!) > MAX_MINOR) return undefined;
  return Number(m[1]);
}

/**
 * What the PodSecurity admission refuses of a Namespace's labels (api.PolicyToEvaluate): a mode's
 * level that is not a level, a version that is not `latest` or `v1.<minor>`, for enforce, audit
 * and warn alike. The server refuses to create a Namespace with any of them.
 */
export function podSecurityLabelProblems(labels: Readonly<Record<string, string>>): LabelProblem[] {
  const problems: LabelProblem[] = [];
  for (const { label, kind } of POD_SECURITY_LABELS) {
    const value = labels[label];
    if (value === undefined) continue;
    if (kind === 'level' ? !(LEVELS as readonly string[]).includes(value) : parseVersion(value) === undefined)
      problems.push({ label, value, message: kind === 'level' ? LEVEL_MESSAGE : VERSION_MESSAGE });
  }
  return problems;
}

/**
 * The enforce policy a namespace's labels give (api.PolicyToEvaluate, with the server's default of
 * privileged:latest), or what is wrong with them: the server refuses to create a Namespace with any
 * Pod Security label it cannot read (podSecurityLabelProblems).
 */
export function enforcePolicy(labels: Readonly<Record<string, string>>): EnforcePolicy | { readonly problems: readonly LabelProblem[] } {
  const problems = podSecurityLabelProblems(labels);
  if (problems.length > 0) return { problems };
  const levelValue = labels[ENFORCE_LABEL];
  const versionValue = labels[ENFORCE_VERSION_LABEL];
  const level = (levelValue ?? 'privileged') as EnforcePolicy['level'];
  const minor = versionValue === undefined ? Number.POSITIVE_INFINITY : parseVersion(versionValue)!;
  // The label's own digits: a minor past 2^53 is not exact as a number, and only compared with small ones.
  return { level, minor, shown: `${level}:${Number.isFinite(minor) ? versionValue : 'latest'}` };
}

/** One thing a check refuses, at its own field. */
export interface Refusal {
  /** The check's ForbiddenReason, word for word: `allowPrivilegeEscalation != false`, `hostPath volumes`. */
  readonly reason: string;
  readonly path: string;
  /** What is wrong and what to change, one sentence. */
  readonly message: string;
  /** Refused for a field left unset (runAsNonRoot, seccomp, capabilities.drop, allowPrivilegeEscalation), not for one set. */
  readonly unset?: true;
  /** The container whose field it is, for a container's. */
  readonly container?: ContainerView;
  /** What is refused, where the field does not say it: the capability added, the sysctl's name, the host namespace's field. */
  readonly value?: unknown;
}

type CheckFn = (pod: PodView, minor: number) => Refusal[];

interface VersionedCheck {
  readonly since: number;
  readonly check: CheckFn;
  readonly overrides?: readonly string[];
}

interface Check {
  readonly id: string;
  readonly level: 'baseline' | 'restricted';
  readonly versions: readonly VersionedCheck[];
}

const sc = (c: ContainerView): Rec => rec(c.container.securityContext) ?? {};
const podSc = (pod: PodView): Rec => rec(pod.spec.securityContext) ?? {};
const relaxedForUserNamespace = inUserNamespace;
const who = (c: ContainerView) => sentenceStart(containerLabel(c));
const set = (v: unknown) => v !== undefined && v !== null;

const hostProcess: CheckFn = (pod) => {
  const out: Refusal[] = [];
  const reason = 'hostProcess';
  if (at(podSc(pod), 'windowsOptions', 'hostProcess') === true)
    out.push({
      reason,
      path: `${pod.specPath}.securityContext.windowsOptions.hostProcess`,
      message: 'The pod sets windowsOptions.hostProcess: true; remove it.',
    });
  for (const c of pod.containers)
    if (at(sc(c), 'windowsOptions', 'hostProcess') === true)
      out.push({
        reason,
        path: `${c.path}.securityContext.windowsOptions.hostProcess`,
        message: `${who(c)} sets windowsOptions.hostProcess: true; remove it.`,
        container: c,
      });
  return out;
};

const hostNamespaces: CheckFn = (pod) =>
  (['hostNetwork', 'hostPID', 'hostIPC'] as const)
    .filter((f) => pod.spec[f] === true)
    .map((f) => ({
      reason: 'host namespaces',
      path: `${pod.specPath}.${f}`,
      message: `The pod sets ${f}: true, sharing the node's namespace; remove it.`,
      value: f,
    }));

const privileged: CheckFn = (pod) =>
  pod.containers
    .filter((c) => sc(c).privileged === true)
    .map((c) => ({
      reason: 'privileged',
      path: `${c.path}.securityContext.privileged`,
      message: `${who(c)} sets privileged: true; remove it.`,
      container: c,
    }));

/** What container runtimes grant by default, which baseline lets a container add back. */
const DEFAULT_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const capabilitiesBaseline: CheckFn = (pod) =>
  pod.containers.flatMap((c) => {
    const caps = rec(sc(c).capabilities);
    if (!caps) return [];
    return list(caps.add).flatMap((cap, i) =>
      DEFAULT_CAPABILITIES.has(String(cap))
        ? []
        : [
            {
              reason: 'non-default capabilities',
              path: `${c.path}.securityContext.capabilities.add[${i}]`,
              message: `${who(c)} adds capability ${String(cap)}; remove it.`,
              container: c,
              value: cap,
            },
          ],
    );
  });

const capabilitiesRestricted: CheckFn = (pod, minor) => {
  if (minor >= 25 && isWindows(pod)) return [];
  const reason = 'unrestricted capabilities';
  return pod.containers.flatMap((c): Refusal[] => {
    const caps = rec(sc(c).capabilities);
    const out: Refusal[] = [];
    if (!caps || !list(caps.drop).includes('ALL'))
      out.push({
        reason,
        path: `${c.path}.securityContext.capabilities.drop`,
        message: `${who(c)} does not drop ALL capabilities; set securityContext.capabilities.drop: [ALL].`,
        unset: true,
        container: c,
      });
    list(caps?.add).forEach((cap, i) => {
      if (cap !== 'NET_BIND_SERVICE')
        out.push({
          reason,
          path: `${c.path}.securityContext.capabilities.add[${i}]`,
          message: `${who(c)} adds capability ${String(cap)}; remove it (only NET_BIND_SERVICE may be added).`,
          container: c,
          value: cap,
        });
    });
    return out;
  });
};

const hostPathVolumes: CheckFn = (pod) =>
  list(pod.spec.volumes).flatMap((v, i) =>
    set(rec(v)?.hostPath)
      ? [
          {
            reason: 'hostPath volumes',
            path: `${pod.specPath}.volumes[${i}].hostPath`,
            message: `Volume "${String(rec(v)?.name)}" mounts a path of the node (hostPath); use a persistentVolumeClaim, emptyDir, configMap or secret.`,
          },
        ]
      : [],
  );

/** The volume sources restricted allows; a volume without any source is defaulted to emptyDir. */
const RESTRICTED_VOLUME_SOURCES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

const restrictedVolumes: CheckFn = (pod) =>
  list(pod.spec.volumes).flatMap((v, i) => {
    const volume = rec(v) ?? {};
    const sources = Object.keys(volume).filter((k) => k !== 'name' && set(volume[k]));
    if (sources.length === 0 || sources.some((s) => RESTRICTED_VOLUME_SOURCES.has(s))) return [];
    return [
      {
        reason: 'restricted volume types',
        path: `${pod.specPath}.volumes[${i}].${sources[0]}`,
        message: `Volume "${String(volume.name)}" is a ${sources[0]} volume; use a persistentVolumeClaim, emptyDir, configMap, secret, projected, csi or ephemeral volume.`,
      },
    ];
  });

const hostPorts: CheckFn = (pod) =>
  pod.containers.flatMap((c) =>
    list(c.container.ports).flatMap((p, i) => {
      const port = rec(p) ?? {};
      // The API server gives every port of a pod on hostNetwork (but an ephemeral container's) a hostPort equal to its containerPort before admission.
      const hostPort =
        set(port.hostPort) && port.hostPort !== 0
          ? port.hostPort
          : pod.spec.hostNetwork === true && c.group !== 'ephemeralContainers' && set(port.containerPort) && port.containerPort !== 0
            ? port.containerPort
            : undefined;
      if (hostPort === undefined) return [];
      return [
        {
          reason: 'hostPort',
          path: `${c.path}.ports[${i}].hostPort`,
          message: `${who(c)} binds port ${String(hostPort)} on the node (hostPort${set(port.hostPort) && port.hostPort !== 0 ? '' : ', given by hostNetwork'}); remove it and reach the pod through a Service.`,
        },
      ];
    }),
  );

const hostProbes: CheckFn = (pod) =>
  pod.containers.flatMap((c) => {
    const handlers: [string, unknown][] = [
      ['livenessProbe', c.container.livenessProbe],
      ['readinessProbe', c.container.readinessProbe],
      ['startupProbe', c.container.startupProbe],
      ['lifecycle.postStart', at(c.container, 'lifecycle', 'postStart')],
      ['lifecycle.preStop', at(c.container, 'lifecycle', 'preStop')],
    ];
    return handlers.flatMap(([where, handler]) =>
      (['httpGet', 'tcpSocket'] as const).flatMap((kind) => {
        const host = str(at(handler, kind, 'host'));
        if (!host) return [];
        return [
          {
            reason: 'probe or lifecycle host',
            path: `${c.path}.${where}.${kind}.host`,
            message: `${who(c)} sends its ${where} to host ${host}; remove host (the pod's own IP is used).`,
          },
        ];
      }),
    );
  });

const APPARMOR_TYPES = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

const appArmor: CheckFn = (pod) => {
  const reason = 'forbidden AppArmor profile';
  const out: Refusal[] = [];
  const podProfile = rec(podSc(pod).appArmorProfile);
  if (podProfile && !APPARMOR_TYPES.has(String(podProfile.type ?? '')))
    out.push({
      reason,
      path: `${pod.specPath}.securityContext.appArmorProfile.type`,
      message: `The pod sets appArmorProfile.type ${String(podProfile.type ?? '""')}; use RuntimeDefault or Localhost.`,
    });
  for (const c of pod.containers) {
    const own = rec(sc(c).appArmorProfile);
    if (own && !APPARMOR_TYPES.has(String(own.type ?? '')))
      out.push({
        reason,
        path: `${c.path}.securityContext.appArmorProfile.type`,
        message: `${who(c)} sets appArmorProfile.type ${String(own.type ?? '""')}; use RuntimeDefault or Localhost.`,
      });
  }
  for (const [key, value] of Object.entries(pod.annotations))
    if (key.startsWith(APPARMOR_ANNOTATION) && !(value === '' || value === 'runtime/default' || value.startsWith('localhost/')))
      out.push({
        reason,
        path: `${pod.metadataPath}.annotations.${key}`,
        message: `Annotation ${key} asks for AppArmor profile ${value}; use runtime/default or localhost/<profile>.`,
      });
  return out;
};

const seLinux: CheckFn = (pod, minor) => {
  const types = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', ...(minor >= 31 ? ['container_engine_t'] : [])]);
  const judge = (options: Rec | undefined, path: string, holder: string): Refusal[] => {
    if (!options) return [];
    const bad = [
      ...(types.has(String(options.type ?? '')) ? [] : [`type ${String(options.type)}`]),
      ...(str(options.user) ? ['a user'] : []),
      ...(str(options.role) ? ['a role'] : []),
    ];
    return bad.length === 0
      ? []
      : [
          {
            reason: 'seLinuxOptions',
            path,
            message: `${holder} sets seLinuxOptions with ${bad.join(', ')}; set no user or role, and a type of ${[...types].filter(Boolean).join(', ')} or none.`,
          },
        ];
  };
  return [
    ...judge(rec(podSc(pod).seLinuxOptions), `${pod.specPath}.securityContext.seLinuxOptions`, 'The pod'),
    ...pod.containers.flatMap((c) => judge(rec(sc(c).seLinuxOptions), `${c.path}.securityContext.seLinuxOptions`, who(c))),
  ];
};

const procMountOf: CheckFn = (pod) =>
  pod.containers
    .filter((c) => set(sc(c).procMount) && sc(c).procMount !== 'Default')
    .map((c) => ({
      reason: 'procMount',
      path: `${c.path}.securityContext.procMount`,
      message: `${who(c)} sets procMount: ${String(sc(c).procMount)}; remove it (Default).`,
      container: c,
      value: sc(c).procMount,
    }));

const procMountBaseline: CheckFn = (pod, minor) => (minor >= 35 && relaxedForUserNamespace(pod) ? [] : procMountOf(pod, minor));

const SECCOMP_TYPES = new Set(['RuntimeDefault', 'Localhost']);
const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION = 'container.seccomp.security.alpha.kubernetes.io/';

/** Explicitly bad seccomp profiles: the pod's and each container's. */
function badSeccomp(pod: PodView): Refusal[] {
  const out: Refusal[] = [];
  const podProfile = rec(podSc(pod).seccompProfile);
  if (podProfile && !SECCOMP_TYPES.has(String(podProfile.type ?? '')))
    out.push({
      reason: 'seccompProfile',
      path: `${pod.specPath}.securityContext.seccompProfile.type`,
      message: `The pod sets seccompProfile.type ${String(podProfile.type ?? '""')}; use RuntimeDefault or Localhost.`,
    });
  for (const c of pod.containers) {
    const own = rec(sc(c).seccompProfile);
    if (own && !SECCOMP_TYPES.has(String(own.type ?? '')))
      out.push({
        reason: 'seccompProfile',
        path: `${c.path}.securityContext.seccompProfile.type`,
        message: `${who(c)} sets seccompProfile.type ${String(own.type ?? '""')}; use RuntimeDefault or Localhost.`,
      });
  }
  return out;
}

const seccompBaseline: CheckFn = (pod, minor) => {
  if (minor >= 19) return badSeccomp(pod);
  // Before 1.19 the profile was an annotation, and only the annotations are read.
  const valid = (v: string) => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
  const keys = [SECCOMP_POD_ANNOTATION, ...pod.containers.map((c) => `${SECCOMP_CONTAINER_ANNOTATION}${c.name}`)];
  return keys
    .filter((k) => pod.annotations[k] !== undefined && !valid(pod.annotations[k]!))
    .map((k) => ({
      reason: 'seccompProfile',
      path: `${pod.metadataPath}.annotations.${k}`,
      message: `Annotation ${k} asks for seccomp profile ${pod.annotations[k]}; use runtime/default or localhost/<profile>.`,
    }));
};

const seccompRestricted: CheckFn = (pod, minor) => {
  if (minor >= 25 && isWindows(pod)) return [];
  const bad = badSeccomp(pod);
  if (bad.length > 0) return bad;
  const podSet = rec(podSc(pod).seccompProfile) !== undefined;
  const unset = podSet ? [] : pod.containers.filter((c) => rec(sc(c).seccompProfile) === undefined);
  if (unset.length === 0) return [];
  const path = unset.length === pod.containers.length ? `${pod.specPath}.securityContext.seccompProfile.type` : undefined;
  return (path ? [undefined] : unset).map((c) => ({
    reason: 'seccompProfile',
    path: path ?? `${c!.path}.securityContext.seccompProfile.type`,
    message: c
      ? `${who(c)} runs without a seccomp profile; set securityContext.seccompProfile.type: RuntimeDefault on it or on the pod.`
      : 'The pod runs without a seccomp profile; set securityContext.seccompProfile.type: RuntimeDefault on the pod.',
    unset: true as const,
  }));
};

const SYSCTLS: readonly { readonly since: number; readonly names: readonly string[] }[] = [
  {
    since: 0,
    names: [
      'kernel.shm_rmid_forced',
      'net.ipv4.ip_local_port_range',
      'net.ipv4.tcp_syncookies',
      'net.ipv4.ping_group_range',
      'net.ipv4.ip_unprivileged_port_start',
    ],
  },
  { since: 27, names: ['net.ipv4.ip_local_reserved_ports'] },
  { since: 29, names: ['net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'] },
  { since: 32, names: ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'] },
];

const sysctls: CheckFn = (pod, minor) => {
  const allowed = new Set(SYSCTLS.filter((s) => minor >= s.since).flatMap((s) => s.names));
  return list(podSc(pod).sysctls).flatMap((s, i) => {
    const name = String(rec(s)?.name);
    return allowed.has(name)
      ? []
      : [
          {
            reason: 'forbidden sysctls',
            path: `${pod.specPath}.securityContext.sysctls[${i}].name`,
            message: `The pod sets sysctl ${name}, which is not namespaced safely; remove it.`,
            value: rec(s)?.name,
          },
        ];
  });
};

const allowPrivilegeEscalation: CheckFn = (pod, minor) => {
  if (minor >= 25 && isWindows(pod)) return [];
  return pod.containers
    .filter((c) => sc(c).allowPrivilegeEscalation !== false)
    .map((c) => ({
      reason: 'allowPrivilegeEscalation != false',
      path: `${c.path}.securityContext.allowPrivilegeEscalation`,
      message:
        sc(c).allowPrivilegeEscalation === true
          ? `${who(c)} sets allowPrivilegeEscalation: true; set it to false.`
          : `${who(c)} does not set allowPrivilegeEscalation: false; set it.`,
      ...(set(sc(c).allowPrivilegeEscalation) ? {} : { unset: true as const }),
      container: c,
      value: sc(c).allowPrivilegeEscalation,
    }));
};

const runAsNonRoot: CheckFn = (pod, minor) => {
  if (minor >= 35 && relaxedForUserNamespace(pod)) return [];
  const reason = 'runAsNonRoot != true';
  const podValue = podSc(pod).runAsNonRoot;
  const explicit: Refusal[] = [];
  if (podValue === false)
    explicit.push({ reason, path: `${pod.specPath}.securityContext.runAsNonRoot`, message: 'The pod sets runAsNonRoot: false; set it to true.' });
  for (const c of pod.containers)
    if (sc(c).runAsNonRoot === false)
      explicit.push({ reason, path: `${c.path}.securityContext.runAsNonRoot`, message: `${who(c)} sets runAsNonRoot: false; set it to true.` });
  if (explicit.length > 0) return explicit;
  const unset = podValue === true ? [] : pod.containers.filter((c) => !set(sc(c).runAsNonRoot));
  if (unset.length === 0) return [];
  return [
    {
      reason,
      path: `${pod.specPath}.securityContext.runAsNonRoot`,
      message: `${unset.length === pod.containers.length ? 'The pod' : `${unset.map(containerLabel).join(', ')} of the pod`} may run as root; set securityContext.runAsNonRoot: true on the pod.`,
      unset: true,
    },
  ];
};

const runAsUser: CheckFn = (pod, minor) => {
  if (minor >= 35 && relaxedForUserNamespace(pod)) return [];
  const out: Refusal[] = [];
  if (podSc(pod).runAsUser === 0)
    out.push({
      reason: 'runAsUser=0',
      path: `${pod.specPath}.securityContext.runAsUser`,
      message: 'The pod sets runAsUser: 0 (root); use a non-zero UID.',
    });
  for (const c of pod.containers)
    if (sc(c).runAsUser === 0)
      out.push({
        reason: 'runAsUser=0',
        path: `${c.path}.securityContext.runAsUser`,
        message: `${who(c)} sets runAsUser: 0 (root); use a non-zero UID.`,
        container: c,
      });
  return out;
};

/** The latest version of every check, as the Pod Security Standards rules in `rules/` judge a pod. */
export const LATEST = Number.POSITIVE_INFINITY;

/**
 * The checks that the rules of the same controls share with the admission: what each refuses is
 * decided here once, and each rule says it in its own words (no-host-namespaces, no-privileged,
 * no-host-process, no-unsafe-sysctls, drop-all-capabilities, no-privilege-escalation, no-root-user,
 * no-unmasked-proc-mount).
 */
export const sharedChecks = {
  hostProcess,
  hostNamespaces,
  privileged,
  capabilitiesBaseline,
  capabilitiesRestricted,
  sysctls,
  allowPrivilegeEscalation,
  runAsUser,
  procMount: procMountOf,
} as const;

const CHECKS: readonly Check[] = [
  { id: 'hostProcess', level: 'baseline', versions: [{ since: 0, check: hostProcess }] },
  { id: 'hostNamespaces', level: 'baseline', versions: [{ since: 0, check: hostNamespaces }] },
  { id: 'privileged', level: 'baseline', versions: [{ since: 0, check: privileged }] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [{ since: 0, check: capabilitiesBaseline }] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [{ since: 0, check: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ since: 0, check: hostPorts }] },
  { id: 'hostProbesAndHostLifecycle', level: 'baseline', versions: [{ since: 34, check: hostProbes }] },
  { id: 'appArmorProfile', level: 'baseline', versions: [{ since: 0, check: appArmor }] },
  { id: 'seLinuxOptions', level: 'baseline', versions: [{ since: 0, check: seLinux }] },
  { id: 'procMount', level: 'baseline', versions: [{ since: 0, check: procMountBaseline }] },
  { id: 'seccompProfile_baseline', level: 'baseline', versions: [{ since: 0, check: seccompBaseline }] },
  { id: 'sysctls', level: 'baseline', versions: [{ since: 0, check: sysctls }] },
  { id: 'restrictedVolumes', level: 'restricted', versions: [{ since: 0, check: restrictedVolumes, overrides: ['hostPathVolumes'] }] },
  { id: 'allowPrivilegeEscalation', level: 'restricted', versions: [{ since: 8, check: allowPrivilegeEscalation }] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [{ since: 0, check: runAsNonRoot }] },
  { id: 'runAsUser', level: 'restricted', versions: [{ since: 23, check: runAsUser }] },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [{ since: 19, check: seccompRestricted, overrides: ['seccompProfile_baseline'] }],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [{ since: 22, check: capabilitiesRestricted, overrides: ['capabilities_baseline'] }],
  },
  { id: 'procMount_restricted', level: 'restricted', versions: [{ since: 35, check: procMountOf, overrides: ['procMount'] }] },
];

/** The version of a check in force at `minor`, if it has one yet. */
const versionAt = (c: Check, minor: number) => c.versions.findLast((v) => v.since <= minor);

/**
 * What the admission refuses of one pod at a policy's level and version, in the order of its checks.
 * A pod a custom resource's controller makes from containers outside any pod template (`pod.loose`)
 * is refused for what it sets only: what the controller adds is not known here.
 */
export function admissionRefusals(pod: PodView, policy: EnforcePolicy): Refusal[] {
  if (policy.level === 'privileged') return [];
  const { minor } = policy;
  const active = CHECKS.filter((c) => (policy.level === 'restricted' || c.level === 'baseline') && versionAt(c, minor) !== undefined);
  const overridden = new Set(active.flatMap((c) => versionAt(c, minor)!.overrides ?? []));
  return active
    .filter((c) => !overridden.has(c.id))
    .flatMap((c) => versionAt(c, minor)!.check(pod, minor))
    .filter((r) => !(pod.loose && r.unset));
}
