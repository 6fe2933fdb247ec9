import type { Command } from 'commander';
import { ENVIRONMENTS } from '@strata/core';
import { findRoot } from '@strata/project';
import { err, out, seconds } from '../common.ts';

/** Adds `strata import` to the program. */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'bring an existing app in as a typed app: each env from a Kustomize folder or plain YAML, proven by round trip before anything is written',
    )
    .argument('[path]', 'a folder with base/ and overlays/<env>/ (instead of --env)')
    .requiredOption('-n, --name <name>', 'the new app (a lower-case DNS label): apps/<name>')
    .option('-e, --env <env=path...>', 'where an env comes from: a Kustomize folder, a YAML file or a folder of YAML (once per env)')
    .option(
      '--secret-store <name[:kind]>',
      'the store the ExternalSecrets that replace Secrets read from (kind: ClusterSecretStore or SecretStore)',
      'secret-store:ClusterSecretStore',
    )
    .option('--no-install', 'skip pnpm install and the full generate (run them yourself afterwards)')
    .option(
      '--allow-system-namespace',
      'import objects in the namespace default or a kube- one, which Kubernetes keeps for itself (otherwise refused, naming each object)',
    )
    .option(
      '--namespace <namespace>',
      'put the namespaced objects that name no namespace into this one, as kubectl apply -n does (otherwise refused, naming each object)',
    )
    .action(
      async (
        path: string | undefined,
        o: { name: string; env?: string[]; secretStore: string; install: boolean; allowSystemNamespace?: boolean; namespace?: string },
      ) => {
        const { importApp, leftOutSummary } = await import('@strata/import');
        const r = await importApp(findRoot(), {
          name: o.name,
          ...(path !== undefined ? { path } : {}),
          ...(o.env ? { envs: o.env } : {}),
          secretStore: o.secretStore,
          install: o.install,
          ...(o.allowSystemNamespace ? { allowSystemNamespace: true } : {}),
          ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
          // Paths are typed from the folder the command runs in, as every shell tool takes them.
          cwd: process.cwd(),
        });
        for (const w of r.warnings) err(`warning: ${w}`);
        for (const p of r.policy) err(`policy: ${p}`);
        for (const f of r.files) out(`created ${f}`);
        for (const f of r.redrawn) out(`wrote ${f}`);
        const counts = ENVIRONMENTS.map((e) => `${e} ${r.objects[e]}`).join(', ');
        out(
          `import: apps/${o.name} builds to its sources in every env (objects: ${counts})${leftOutSummary(r)}${r.installed ? '' : `; next: npx pnpm install && npx strata generate`} (${seconds()})`,
        );
      },
    );
}
