export interface Paths {
  /** Default `environments/#{environment}`. */
  global: string;
  /** Default `environments/#{environment}/#{component}`. */
  component: string;
}

export interface Reducer {
  readonly name: string;
  reduce(target: Record<string, unknown>, componentName?: string): Record<string, unknown>;
}

export interface Environment {
  cwd: string;
  env: string | string[] | undefined;
  paths: Paths;
  extensions: string[];
  global(): Record<string, any>;
  component(name: string): Record<string, any>;
  setReducers(update: (reducers: readonly Reducer[]) => Reducer[]): void;
  resetReducers(): void;
}

declare const env: Environment;
export default env;
