/**
 * `totemscope config check FILE [--addrs FILE | --live] [--json] [--corosync 2|3]`: the effective
 * timers (value and origin), nodes, links, address selection and findings for a corosync.conf.
 * Exit status 1 when there is an error finding, 2 when the inputs cannot be read.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import type { HostAddress } from '../../config/index.ts';
// The work is imported when the command runs, so other commands do not load (or compile) it.

function corosyncMajor(v: string): 2 | 3 {
  if (v === '2' || v === '3') return Number(v) as 2 | 3;
  throw new InvalidArgumentError('expected 2 or 3');
}

function fail(message: string): void {
  process.stderr.write(`config check: ${message}\n`);
  process.exitCode = 2;
}

export function register(program: Command): void {
  const config = program.command('config').description('corosync.conf tools');
  config
    .command('check')
    .description('parse corosync.conf; show effective totem timers (value and origin), nodes, links, address selection and findings')
    .argument('<file>', 'corosync.conf')
    .addOption(new Option('--addrs <file>', 'host addresses as `ip -j addr` JSON (address selection, local node, MTU)').conflicts('live'))
    .option('--live', 'check against this host: run `ip -j addr`, use its host name, check the crypto key file size')
    .option('--hostname <name>', 'host name to find the local node (default: this host\'s name with --live)')
    .option('--corosync <major>', 'corosync major version whose rules and defaults apply (2 or 3)', corosyncMajor, 3 as 2 | 3)
    .option('--keep-aliases', 'safer rule: do not skip labelled alias addresses (eth0:1)')
    .option('--json', 'print JSON instead of text')
    .action(async (file, opts) => {
      const [{ checkConfigText, parseIpAddrJson, renderReportText, reportToJson }, { liveHostAddresses, liveHostname, readKeyfileSize }] = await Promise.all([
        import('../../config/index.ts'),
        import('../../config/live.ts'),
      ]);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        fail((e as Error).message);
        return;
      }
      let addrs: HostAddress[] | undefined;
      if (opts.addrs !== undefined) {
        let raw: string;
        try {
          raw = readFileSync(opts.addrs, 'utf8');
        } catch (e) {
          fail((e as Error).message);
          return;
        }
        const parsed = parseIpAddrJson(raw);
        if (parsed instanceof Error) return fail(`${opts.addrs}: ${parsed.message}`);
        addrs = parsed;
      } else if (opts.live === true) {
        const live = liveHostAddresses();
        if (live instanceof Error) return fail(live.message);
        addrs = live;
      }
      const hostname = opts.hostname ?? (opts.live === true ? liveHostname() : undefined);
      const report = checkConfigText(text, {
        corosyncVersion: opts.corosync,
        ...(addrs !== undefined ? { addrs } : {}),
        ...(hostname !== undefined ? { hostname } : {}),
        ignoreLabelledAliases: opts.keepAliases !== true,
        // The key file is only meaningful on the host the config belongs to.
        ...(opts.live === true ? { keyfile: readKeyfileSize } : {}),
      });
      process.stdout.write(opts.json === true ? `${JSON.stringify(reportToJson(report, file), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n` : renderReportText(report, file));
      if (!report.ok) process.exitCode = 1;
    });
}
