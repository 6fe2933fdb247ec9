import { ENVIRONMENTS, type Environment } from './environments.ts';
import type { ImageSource } from './helpers.ts';
import { imageRepositoryProblem } from './image-names.ts';
import { isPlainObject } from './merge.ts';

/**
 * One image of one env, as written in an app's `images.json`. The repository is always spelt out so a
 * release bot can find the image by name without reading the app's TypeScript.
 */
export interface ImagePin {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** An app's `images.json`: env, then container name, then its pin. */
export type ImagePins = { readonly [E in Environment]?: { readonly [container: string]: ImagePin } };

/** Where each container's image lives in the app's configuration: a dot path to an `ImageSource`. */
export type ImagePaths = { readonly [container: string]: string };

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Checks a parsed `images.json`; `where` names the file in the one-line error. */
export function parsePins(value: unknown, where: string, paths: ImagePaths): ImagePins {
  if (!isPlainObject(value)) throw new Error(`${where}: must be an object of environments (${ENVIRONMENTS.join(', ')})`);
  for (const [env, containers] of Object.entries(value)) {
    if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
      throw new Error(`${where}: unknown environment "${env}"; use one of ${ENVIRONMENTS.join(', ')}`);
    }
    if (!isPlainObject(containers)) throw new Error(`${where}: ${env} must map container names to pins`);
    for (const [container, pin] of Object.entries(containers)) {
      const at = `${where}: ${env}.${container}`;
      if (!Object.hasOwn(paths, container)) {
        throw new Error(`${at}: the app has no pinnable container "${container}"; known: ${Object.keys(paths).join(', ') || 'none'}`);
      }
      if (!isPlainObject(pin) || typeof pin['repository'] !== 'string' || pin['repository'] === '') {
        throw new Error(`${at}: needs a "repository" string`);
      }
      const invalid = imageRepositoryProblem(pin['repository']);
      if (invalid) throw new Error(`${at}: repository ${JSON.stringify(pin['repository'])} ${invalid}`);
      for (const key of Object.keys(pin)) {
        if (!['repository', 'tag', 'digest'].includes(key)) throw new Error(`${at}: unknown key "${key}"; use repository, tag, digest`);
      }
      if (pin['tag'] !== undefined && (typeof pin['tag'] !== 'string' || !/^[\w][\w.-]{0,127}$/.test(pin['tag']))) {
        throw new Error(`${at}: tag ${JSON.stringify(pin['tag'])} is not a valid image tag`);
      }
      if (pin['digest'] !== undefined && (typeof pin['digest'] !== 'string' || !DIGEST.test(pin['digest']))) {
        throw new Error(`${at}: digest ${JSON.stringify(pin['digest'])} must look like sha256:<64 hex characters>`);
      }
      if (pin['tag'] === undefined && pin['digest'] === undefined) throw new Error(`${at}: needs a "tag" or a "digest"`);
    }
  }
  return value as ImagePins;
}

/** Sets each pinned container's image at its path; the pin replaces the image whole, so a digest drops an old tag. */
export function applyPins<C>(config: C, pins: ImagePins | undefined, paths: ImagePaths, env: Environment): C {
  const forEnv = pins?.[env];
  if (!forEnv) return config;
  let out: unknown = config;
  for (const [container, pin] of Object.entries(forEnv)) {
    const path = paths[container];
    if (path === undefined) continue;
    out = setAt(out, path.split('.'), imageOf(pin));
  }
  return out as C;
}

function imageOf(pin: ImagePin): ImageSource {
  return {
    repository: pin.repository,
    ...(pin.tag !== undefined ? { tag: pin.tag } : {}),
    ...(pin.digest !== undefined ? { digest: pin.digest } : {}),
  };
}

function setAt(target: unknown, keys: readonly string[], value: unknown): unknown {
  const [key, ...rest] = keys;
  if (key === undefined) return value;
  const obj = isPlainObject(target) ? target : {};
  return { ...obj, [key]: setAt(obj[key], rest, value) };
}

/**
 * `images.json` text: one line per pin with its keys in a fixed order, so a bot's one-line regex
 * (repository, then tag, then digest) matches every pin and a diff shows one changed line.
 */
export function formatPins(pins: ImagePins): string {
  const envs = ENVIRONMENTS.filter((e) => pins[e] && Object.keys(pins[e]).length > 0);
  const blocks = envs.map((env) => {
    const entries = Object.entries(pins[env]!).map(([container, pin]) => {
      const fields = [
        ['repository', pin.repository],
        ['tag', pin.tag],
        ['digest', pin.digest],
      ]
        .filter((f): f is [string, string] => f[1] !== undefined)
        .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
      return `    ${JSON.stringify(container)}: { ${fields.join(', ')} }`;
    });
    return `  ${JSON.stringify(env)}: {\n${entries.join(',\n')}\n  }`;
  });
  return blocks.length === 0 ? '{}\n' : `{\n${blocks.join(',\n')}\n}\n`;
}
