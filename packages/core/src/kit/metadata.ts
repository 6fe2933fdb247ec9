import { standardLabels } from '../helpers.ts';

/** The metadata every object needs: a name, the app's namespace and the recommended labels. */
export interface ObjectMetadata {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface AppMetadataOptions {
  /** The app's name: `app.kubernetes.io/name` and `app.kubernetes.io/part-of`. */
  readonly app: string;
  /** The part of the app these objects belong to: `app.kubernetes.io/component`. @default none */
  readonly component?: string;
  /** The namespace of namespaced objects. @default none (cluster-scoped objects, or the overlay's namespace) */
  readonly namespace?: string;
  /** The release: `app.kubernetes.io/version`, on the labels but never on the selector. @default none */
  readonly version?: string;
}

/** Labels and annotations one object adds to its app's. */
export interface ObjectExtras {
  /** Added after the app's labels, so they may override one (a data store's own `name`, say). @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The metadata of the objects of one app component, so a render names each object once. */
export interface AppMetadata {
  /** The recommended labels: name, component, part-of, managed-by (and version). */
  readonly labels: Record<string, string>;
  /**
   * `app.kubernetes.io/name` and `component`: what Deployments and Services select the pods by.
   * Never the version or anything else that changes, since a Deployment's selector is immutable.
   */
  readonly selector: Record<string, string>;
  /** The metadata of one object: its name, the namespace, the labels and the extras. */
  of(name: string, extras?: ObjectExtras): ObjectMetadata;
  /** The same app's metadata for another component. */
  component(component: string): AppMetadata;
}

/** Metadata from the app's name and component: `appMetadata({ app, component, namespace }).of('web')`. */
export function appMetadata(options: AppMetadataOptions): AppMetadata {
  const { app, component, namespace, version } = options;
  const labels = standardLabels(app, component, version);
  return {
    labels: { ...labels },
    selector: { 'app.kubernetes.io/name': app, ...(component ? { 'app.kubernetes.io/component': component } : {}) },
    of(name, extras = {}) {
      return {
        name,
        ...(namespace ? { namespace } : {}),
        labels: { ...labels, ...extras.labels },
        ...(extras.annotations ? { annotations: { ...extras.annotations } } : {}),
      };
    },
    component(other) {
      return appMetadata({ ...options, component: other });
    },
  };
}
