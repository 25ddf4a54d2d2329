/**
 * `totemscope node --config FILE [--nodeid N] [--state-dir DIR] [--transport T] [--key FILE]`: join
 * the cluster described by a corosync.conf as a Totem member (udpu or knet, as the conf says), take
 * part in sync, and log membership in corosync's words.
 * The only command that transmits. SIGINT/SIGTERM send the leave message and exit.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import type { Command } from '@commander-js/extra-typings';
import { InvalidArgumentError } from '@commander-js/extra-typings';
// The work is imported when the command runs, so other commands do not load (or compile) it.

function nodeidOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new InvalidArgumentError('expected a nodeid in 1..4294967295');
  return n;
}

function statsOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 86_400) throw new InvalidArgumentError('expected seconds in 0..86400');
  return n;
}

function transportOption(value: string): 'udpu' | 'knet' {
  if (value !== 'udpu' && value !== 'knet') throw new InvalidArgumentError('expected udpu or knet');
  return value;
}

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) out.add(a.address.toLowerCase());
  return out;
}

function logLine(level: string, text: string): void {
  process.stdout.write(`${new Date().toISOString()} [${level}] ${text}\n`);
}

export function register(program: Command): void {
  program
    .command('node')
    .description('join a corosync cluster (udpu or knet) as a Totem SRP member: sync, votequorum, CPG; logs membership')
    .requiredOption('--config <file>', "the cluster's corosync.conf (its nodelist must list this node)")
    .option('--nodeid <n>', 'this node (default: the nodelist entry whose ring0_addr is a local address)', nodeidOption)
    .option('--state-dir <dir>', 'where ringid_<nodeid> is kept', '/var/lib/corosync')
    .option('--transport <t>', 'udpu or knet (default: totem.transport of the config; corosync 3 defaults to knet)', transportOption)
    .option('--key <file>', 'knet authkey when crypto_cipher/crypto_hash are set (default: totem.keyfile, totem.key, /etc/corosync/authkey)')
    .option('--debug', "also log corosync's debug-level lines", false)
    .option('--deliveries <file>', 'append every delivered CPG message as a JSON line (sender, group, pid, size, first 64 bytes hex)')
    .option('--stats-interval <s>', 'print token and delivery statistics every s seconds (0 = off)', statsOption, 10)
    .option('--stats-file <file>', 'also append the statistics as one JSON object per line (token hold times as corosync counts them)')
    .action(async (opts) => {
      const [{ KNET_MAX_PACKET_SIZE, loadTotemConfig, UDP_NETMTU }, { loadAuthkey }, { TotemNode }] = await Promise.all([
        import('../../config/index.ts'),
        import('../../node/authkey.ts'),
        import('../../node/driver.ts'),
      ]);
      let text: string;
      try {
        text = readFileSync(opts.config, 'utf8');
      } catch (e) {
        process.stderr.write(`totemscope node: ${(e as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      const loaded = loadTotemConfig(text);
      if ('error' in loaded) {
        process.stderr.write(`totemscope node: ${loaded.error}\n`);
        process.exitCode = 2;
        return;
      }
      let nodeid = opts.nodeid;
      if (nodeid === undefined) {
        const local = localAddresses();
        nodeid = loaded.nodes.nodes.find((n) => n.nodeid !== undefined && local.has((n.addresses.get(0) ?? '').toLowerCase()))?.nodeid;
      }
      if (nodeid === undefined) {
        process.stderr.write('totemscope node: no nodelist entry has a local ring0_addr; pass --nodeid\n');
        process.exitCode = 2;
        return;
      }
      let totem = loaded.totem;
      if (opts.transport !== undefined && opts.transport !== totem.transport) {
        // netmtu's default follows the transport (§2.2); a configured netmtu stays.
        const netmtuSet = loaded.report.effective?.values.some((v) => v.name === 'netmtu' && v.origin === 'set') === true;
        totem = { ...totem, transport: opts.transport, netmtu: netmtuSet ? totem.netmtu : opts.transport === 'knet' ? KNET_MAX_PACKET_SIZE : UDP_NETMTU };
      }
      const authkey = totem.transport === 'knet' ? loadAuthkey(totem.crypto, loaded.report.conf, opts.key) : undefined;
      if (authkey !== undefined && 'error' in authkey) {
        process.stderr.write(`totemscope node: ${authkey.error}\n`);
        process.exitCode = 2;
        return;
      }
      const deliveriesFd = opts.deliveries !== undefined ? openSync(opts.deliveries, 'a') : undefined;
      // Delivered lines are written once per event-loop turn, not one write(2) per message: under a
      // flood a syscall per message made the node hold the token measurably longer than corosync.
      let pendingDeliveries = '';
      let deliveriesFlushQueued = false;
      const flushDeliveries = (): void => {
        deliveriesFlushQueued = false;
        if (deliveriesFd === undefined || pendingDeliveries === '') return;
        const text = pendingDeliveries;
        pendingDeliveries = '';
        writeSync(deliveriesFd, text);
      };
      const node = new TotemNode({
        nodeid,
        totem,
        ...(authkey?.key !== undefined ? { authkey: authkey.key } : {}),
        nodes: loaded.nodes,
        stateDir: opts.stateDir,
        logDebug: opts.debug,
        log: logLine,
        onDeliver: (d) => {
          if (deliveriesFd === undefined || d.cpg === undefined) return;
          const head = Buffer.from(d.cpg.message.subarray(0, 64)).toString('hex');
          const rec = { sender: d.sender, group: d.cpg.group, nodeid: d.cpg.nodeid, pid: d.cpg.pid, size: d.cpg.message.length, head };
          pendingDeliveries += `${JSON.stringify(rec)}\n`;
          if (pendingDeliveries.length >= 1 << 16) flushDeliveries();
          else if (!deliveriesFlushQueued) {
            deliveriesFlushQueued = true;
            setImmediate(flushDeliveries);
          }
        },
      });
      const statsFd = opts.statsFile !== undefined ? openSync(opts.statsFile, 'a') : undefined;
      const report = (): void => {
        logLine('notice', node.statsLine());
        if (statsFd !== undefined) writeSync(statsFd, `${JSON.stringify(node.statsRecord())}\n`);
      };
      const statsTimer = opts.statsInterval > 0 ? setInterval(report, opts.statsInterval * 1000) : undefined;
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) return;
        stopping = true;
        logLine('notice', `${sig}: leaving the ring`);
        if (statsTimer !== undefined) clearInterval(statsTimer);
        void node.stop().then(() => {
          logLine('notice', `stopped; ${node.statsLine()}`);
          flushDeliveries();
          if (deliveriesFd !== undefined) closeSync(deliveriesFd);
          if (statsFd !== undefined) closeSync(statsFd);
          process.exit(0);
        });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      try {
        await node.start();
      } catch (e) {
        process.stderr.write(`totemscope node: ${(e as Error).message}\n`);
        process.exit(2);
      }
      // Keeps running on the sockets and timers until a signal.
      await new Promise<never>(() => {});
    });
}
