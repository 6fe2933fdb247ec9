import { afterAll, beforeAll } from 'vitest';

/** How a {@link suiteResource} is made ready, and how long that may take. */
export interface SuiteResourceOptions<T> {
  /** Readies what `start` made for the tests: objects they meet, answers they compare with. @default nothing */
  readonly prepare?: (resource: T) => Promise<unknown> | unknown;
  /** Milliseconds that starting and preparing may take together. @default the runner's hook timeout */
  readonly timeout?: number;
}

/**
 * What the tests of the file or describe block that calls this share, made before them and ended
 * after them: `start` makes it and `prepare` readies it, and `stop` ends it, also when preparing or a
 * test failed. The function returned gives it to the tests, which run once it is made.
 */
export function suiteResource<T>(
  start: () => Promise<T>,
  stop: (resource: T) => Promise<unknown> | unknown,
  options: SuiteResourceOptions<T> = {},
): () => T {
  let resource: T | undefined;
  beforeAll(async () => {
    resource = await start();
    await options.prepare?.(resource);
  }, options.timeout);
  afterAll(async () => {
    if (resource !== undefined) await stop(resource);
  });
  return () => {
    if (resource === undefined) throw new Error('a suite resource is made before the tests, not while they are collected');
    return resource;
  };
}
