/**
 * The environment for a program whose output Strata reads or passes on as it is (git, tar, pnpm):
 * `env` in the C locale, so that their messages are in English whatever LANG, LC_ALL and LANGUAGE
 * say (gettext ignores LANGUAGE in the C locale), as Strata's own are. Strata matches some of their
 * words and prints others beside its own lines.
 */
export function untranslatedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, LC_ALL: 'C' };
}
