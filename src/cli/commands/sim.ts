/**
 * `totemscope sim`: run the Totem engine in the simulated network (src/sim) for K seeds and report
 * violated guarantees (with the seed that replays them), membership changes, token rotation statistics
 * and ordered messages per second. Exit status 1 when any guarantee was violated.
 */
import type { Command } from '@commander-js/extra-typings';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import type { SimBatchConfig } from '../../sim/batch.ts';
// The work is imported when the command runs, so other commands do not load (or compile) it.

function intOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
    return n;
  };
}

function numberOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number in ${min}..${max}`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('sim')
    .description('run the Totem SRP engine in a simulated network and check the protocol guarantees')
    .option('--nodes <n>', 'number of nodes (nodeids 1..n)', intOption(1, 64), 3)
    .option('--seeds <k>', 'number of seeded runs', intOption(1, 1_000_000), 10)
    .option('--seed-start <s>', 'first seed', intOption(0, 0xffffffff), 1)
    .option('--loss <percent>', 'frame loss between nodes, percent (0-100)', numberOption(0, 100), 0)
    .option('--latency <ms>', 'one-way link latency, ms (jitter is half of it)', numberOption(0, 10_000), 1)
    .option('--duplicate <percent>', 'duplicated frames, percent', numberOption(0, 100), 0)
    .option('--reorder <percent>', 'frames given an extra random delay, percent', numberOption(0, 100), 0)
    .option('--partitions', 'split and heal the network at random times', false)
    .option('--crashes', 'crash, leave and restart nodes at random times', false)
    .option('--duration <s>', 'faulty phase length, virtual seconds (a healed phase follows)', numberOption(0.1, 86_400), 10)
    .option('--token <ms>', 'totem.token (other timers follow corosync 3.1.7 formulas)', intOption(30, 600_000), 3000)
    .option('--token-coefficient <ms>', 'totem.token_coefficient', intOption(0, 600_000), 650)
    .option('--rate <msgs>', 'application messages per second per node', numberOption(0, 1_000_000), 50)
    .option('--size <bytes>', 'application message size', intOption(12, 65_000), 64)
    .option('--json', 'print the report as JSON', false)
    .action(async (o) => {
      const { formatSimReport, runSimBatch } = await import('../../sim/batch.ts');
      const config: SimBatchConfig = {
        nodes: o.nodes,
        seeds: o.seeds,
        seedStart: o.seedStart,
        loss: o.loss / 100,
        latencyMs: o.latency,
        duplicate: o.duplicate / 100,
        reorder: o.reorder / 100,
        partitions: o.partitions,
        crashes: o.crashes,
        durationMs: o.duration * 1000,
        token: o.token,
        tokenCoefficient: o.tokenCoefficient,
        ratePerNode: o.rate,
        payloadSize: o.size,
      };
      const report = runSimBatch(config);
      process.stdout.write(o.json ? `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n` : formatSimReport(report));
      if (report.violations.length > 0) process.exitCode = 1;
    });
}
