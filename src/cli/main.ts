/**
 * The command tree. Each subcommand lives in ./commands/<name>.ts and exports `register(program)`;
 * its action only turns options into a typed config and calls the code that does the work.
 */
import { Command } from '@commander-js/extra-typings';
import { register as registerSim } from './commands/sim.ts';
import { register as registerRead } from './commands/read.ts';
import { register as registerAnalyze } from './commands/analyze.ts';
import { register as registerConfig } from './commands/config.ts';
import { register as registerNode } from './commands/node.ts';

export function buildProgram(): Command {
  const program = new Command('totemscope')
    .description('Observability and packet analysis for the Corosync Totem protocol')
    .version('0.1.0', '--version')
    .showHelpAfterError();
  registerRead(program);
  registerAnalyze(program);
  registerConfig(program);
  registerSim(program);
  registerNode(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  await program.parseAsync([...argv]);
}
