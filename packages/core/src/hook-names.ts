/**
 * The name Argo CD gives a hook that has only a generateName, which the server then judges: shared by
 * verify, which applies the hook under it, and the offline checks of `strata validate` and the
 * pipeline, which hand it to the server field checks, so that both refuse the same names in the same
 * words. Here, below both, as what Argo CD makes of a hook (argocd.ts) is: the offline checks never
 * depend on verify.
 */

import { argoCdSyncPhases, isArgoCdHook } from './argocd.ts';
import type { Manifest } from './objects.ts';

/** What the server makes of a generateName: at most this much of it, and five characters after. */
const GENERATED_PREFIX = 58;

/**
 * What Argo CD puts after a hook's generateName, besides the phase: the revision synced (at most
 * its first seven characters, a commit's short hash) and the time the sync started, in Unix
 * seconds (ten digits until the year 2286). Fixed here, of those lengths: the server judges a
 * name's characters and length, and these are what Argo CD's can vary by.
 */
const ARGOCD_REVISION = '0000000';
const ARGOCD_TIME = '1700000000';

/**
 * The name an object is applied under: its own, or for an Argo CD hook (Helm's hooks are Argo CD's
 * too, as Argo CD reads them: see argocd.ts) that has only a generateName, a name of the form Argo
 * CD gives it. Its sync engine names such a hook itself, anew on every sync and once per phase:
 * the whole generateName, then `<revision>-<phase>-<unix time>` in lower case
 * (`migrate-` in PreSync: `migrate-1a2b3c4-presync-1767225600`), so a long generateName that the
 * server would cut short makes a name too long for it. The longest phase's name is sent, as its
 * length is the one that can be refused. A delete hook is created by Argo CD's controller as it is,
 * and so named by the server: at most 58 characters of its generateName and five more. Undefined
 * for any other object without a name: kubectl apply and Argo CD both refuse it.
 */
export function appliedName(m: Manifest): string | undefined {
  const meta = m.metadata;
  if (meta?.name) return meta.name;
  if (typeof meta?.generateName !== 'string' || meta.generateName === '' || !isArgoCdHook(m)) return undefined;
  const phase = longestPhase(m);
  if (phase === undefined) return `${meta.generateName.slice(0, GENERATED_PREFIX)}00000`;
  return `${meta.generateName}${ARGOCD_REVISION}-${phase.toLowerCase()}-${ARGOCD_TIME}`;
}

/** The sync phase of a hook whose name Argo CD makes longest, if it runs in any. */
function longestPhase(m: Manifest): string | undefined {
  const phases = argoCdSyncPhases(m);
  return phases.length === 0 ? undefined : phases.reduce((a, b) => (b.length > a.length ? b : a));
}

/** How Argo CD names a sync hook that has only a generateName, for a refusal of that name to say. */
export function argoCdNaming(m: Manifest): string | undefined {
  const phase = longestPhase(m);
  if (phase === undefined) return undefined;
  const more = ARGOCD_REVISION.length + phase.length + ARGOCD_TIME.length + 2;
  return (
    `Argo CD names this ${phase} hook itself: its generateName, then the synced revision's first ${ARGOCD_REVISION.length} characters, ` +
    `"-${phase.toLowerCase()}-" and the sync's start in Unix seconds: ${more} characters more; shorten metadata.generateName or give the hook a metadata.name`
  );
}

/**
 * A refusal of `name`, the name `appliedName` gives a hook that has only a generateName, saying how
 * Argo CD makes that name: the object holds only its start. Any other message is left as it is.
 */
export function withArgoCdNaming(message: string, m: Manifest, name: string): string {
  const made = name === m.metadata?.name ? undefined : argoCdNaming(m);
  return made && message.includes(`"${name}"`) ? `${message} (${made})` : message;
}
