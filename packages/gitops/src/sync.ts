/** What one environment's Argo CD Application or Flux Kustomization of one app needs, read from its built overlay. */
export interface AppSyncPlan {
  readonly app: string;
  /** The namespace most of the app's namespaced objects live in; the Application's destination. */
  readonly namespace: string;
  /**
   * Every namespace the app's objects live in: the AppProject allows each that exists in the env
   * (see `appProject`), and no other.
   */
  readonly namespaces: readonly string[];
  /** The Namespace objects the app ships: they exist in the env once it is synced. */
  readonly creates: readonly string[];
  readonly syncOptions: readonly string[];
  /** Workloads whose replicas an autoscaler owns: self-heal must not reset them. */
  readonly autoscaled: readonly { readonly group: string; readonly kind: string; readonly name: string; readonly namespace: string }[];
  /** Cluster-scoped kinds the app deploys, as `group/Kind`. */
  readonly clusterKinds: readonly string[];
  /** Every kind the app deploys, as `group/Kind`. */
  readonly kinds: readonly string[];
  /** The kinds its CustomResourceDefinitions define, as `group/Kind`: apps that use them come after it. */
  readonly crds: readonly string[];
  /**
   * The app's CRDs that its own custom resources use, each with the Argo CD sync wave that puts it
   * before the earliest of them (a CRD that is early enough already is left out).
   */
  readonly crdWaves: readonly { readonly name: string; readonly wave: number }[];
  /**
   * Every object as Argo CD deploys it, `group/Kind namespace/name` (`Kind name` in the core group,
   * no namespace when cluster-scoped): two envs that deploy to one cluster must share none.
   */
  readonly objects: readonly string[];
  /** The node ports its Services open: a node port is the cluster's, so two envs on one cluster must share none. */
  readonly nodePorts: readonly number[];
  /**
   * The cluster IPs its Services ask for, as written (`allocationsAsked` of @strata/node-ports): an IP
   * is the cluster's, so two envs on one cluster must share none.
   */
  readonly clusterIps: readonly string[];
  /** Its PriorityClasses marked `globalDefault`: a cluster has one default, so of two envs on one cluster only one may ship it. */
  readonly defaultPriorityClasses: readonly string[];
  /**
   * The hosts and paths its Ingresses route (`ingressRoutes` of @strata/policy), each as
   * [IngressClass, host, path, `namespace/name` of the Ingress]: a class's controller serves the
   * whole cluster, so two envs on one cluster must not route the same one.
   */
  readonly ingressRoutes: readonly (readonly [string, string, string, string])[];
}
