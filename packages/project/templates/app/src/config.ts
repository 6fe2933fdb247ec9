import type { ImageSource } from '@strata/core';

export interface Config {
  readonly namespace: string;
  readonly image: ImageSource;
  readonly version: string;
  readonly replicas: number;
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
}

export const defaults: Config = {
  namespace: '__APP_NAME__',
  image: { repository: 'ghcr.io/example/__APP_NAME__' },
  version: '0.1.0',
  replicas: 1,
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
};
