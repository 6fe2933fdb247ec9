import { Command, CommanderError } from 'commander';

/**
 * Gives `cmd` and each command under it that has subcommands a `help [command...]` command in place
 * of commander's own: `strata help set image` shows the help of `set image`, and a name that is no
 * command is a usage mistake in one line, with the suggestion a mistyped command gets (`strata
 * help genrate`: did you mean generate?), where commander's printed the whole usage.
 */
export function addHelpCommands(cmd: Command): void {
  if (cmd.commands.length === 0) return;
  for (const sub of cmd.commands) addHelpCommands(sub);
  cmd
    .helpCommand(false)
    .command('help [command...]')
    .description('display help for command')
    .action((names: string[]) => showHelp(cmd, names));
}

function showHelp(cmd: Command, names: readonly string[]): void {
  let target: Command = cmd;
  for (const name of names) {
    const sub = target.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!sub) target.error(unknownCommand(target, name), { code: 'commander.unknownCommand' });
    target = sub;
  }
  target.help();
}

/** Commander's own words for `name` given as a command of `cmd`: `error: unknown command 'x'`, with its suggestion when one is near. */
function unknownCommand(cmd: Command, name: string): string {
  // A stand-in with the same commands, parsed: commander decides the suggestion as it does for a
  // mistyped command, and has no public call that gives it otherwise.
  const probe = new Command(cmd.name()).exitOverride().configureOutput({ writeErr: () => {}, outputError: () => {} });
  for (const c of cmd.createHelp().visibleCommands(cmd)) probe.command(c.name()).aliases(c.aliases());
  try {
    probe.parse([name], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.message;
    throw e;
  }
  return `error: unknown command '${name}'`;
}
