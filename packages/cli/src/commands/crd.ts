import type { Command } from 'commander';
import { findRoot, UsageError } from '@strata/project';
import { err, nounCount, out, seconds } from '../common.ts';

/** Adds `strata crd` to the program. */
export function registerCrd(program: Command): void {
  const crd = program.command('crd').description('bring your own CRDs: strict schemas for validate, the CRD for verify, a typed model for apps');

  crd
    .command('add')
    .description(
      'add the CustomResourceDefinitions of a YAML file or folder, or of a Go module version (fetched from the Go module proxy): their strict schemas in crds/schemas, the CRDs in crds/, typed models in packages/crd-models; adding again replaces them',
    )
    .argument('<source>', 'a CRD YAML file or folder, or a Go module as <module>@<version>')
    .argument('[folder]', 'for a Go module: the folder inside it that holds the CRDs, such as config/crd/standard')
    .option('--no-models', 'skip the typed models (schemas and CRDs only)')
    .action(async (source: string, folder: string | undefined, o: { models: boolean }) => {
      const { addCrds } = await import('@strata/crds');
      const r = await addCrds(findRoot(), source, folder, { models: o.models, cwd: process.cwd() });
      for (const c of r.crds) out(`added ${c.name} (${c.kind} ${c.versions.join(', ')})`);
      for (const note of r.notes ?? []) err(note);
      out(
        `crd add: ${nounCount(r.crds.length, 'CRD')} from ${r.from}: ${nounCount(r.written.length, 'file')} written, ${r.removed.length} removed; commit the result (${seconds()})`,
      );
    });

  crd
    .command('remove')
    .description(
      'remove CRDs added with crd add, by group (example.com) or name (widgets.example.com), with their schemas and models, in one atomic step',
    )
    .argument('<group-or-name>', 'an API group or a CRD name')
    .action(async (target: string) => {
      const { removeCrds } = await import('@strata/crds');
      const r = removeCrds(findRoot(), target);
      for (const c of r.crds) out(`removed ${c.name}`);
      out(
        `crd remove: ${nounCount(r.crds.length, 'CRD')} removed: ${nounCount(r.removed.length, 'file')} removed, ${r.written.length} rewritten; commit the result (${seconds()})`,
      );
    });

  crd
    .command('ls')
    .description('list the CRDs added with crd add')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (o: { output: string }) => {
      if (o.output !== 'text' && o.output !== 'json') throw new UsageError(`--output ${o.output}: use text or json`);
      const { listCrds } = await import('@strata/crds');
      const rows = listCrds(findRoot());
      if (o.output === 'json') out(JSON.stringify(rows, null, 2));
      // As kubectl's "No resources found": on stderr, so that a script reading the rows reads none.
      else if (rows.length === 0) err('no CRDs added; add one with `strata crd add <file | module@version folder>`');
      else for (const c of rows) out(`${c.name}\t${c.kind}\t${c.versions.join(',')}\t${c.source}`);
    });
}
