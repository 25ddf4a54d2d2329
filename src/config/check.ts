/**
 * One call from corosync.conf text to everything `config check` reports: syntax, the typed model,
 * effective values, nodes, links, address selection and findings.
 */
import type { BindSelection, HostAddress } from './addrs.ts';
import { computeEffective, type EffectiveConfig, type EffectiveTotem } from './effective.ts';
import { finding, hasErrors, sortFindings, type Finding } from './findings.ts';
import { buildConf, type CorosyncConf, type CorosyncVersion } from './model.ts';
import { NodeDirectory } from './nodes.ts';
import { parseConfText, type ConfSyntaxError } from './parse.ts';
import { keyfilePath, validateConf, type KeyfileState } from './validate.ts';

export interface CheckOptions {
  readonly corosyncVersion?: CorosyncVersion;
  /** Host addresses (from `ip -j addr`): local node detection, address selection, MTU checks. */
  readonly addrs?: readonly HostAddress[];
  /** Host name used to find the local node (corosync uses uname's nodename). */
  readonly hostname?: string;
  readonly ignoreLabelledAliases?: boolean;
  /** Read the crypto key file's size on this host: a function from path to state (see live.ts). */
  readonly keyfile?: (path: string) => KeyfileState;
}

export interface ConfigReport {
  /** No error-severity finding (corosync would start, as far as the file tells). */
  readonly ok: boolean;
  readonly corosyncVersion: CorosyncVersion;
  readonly syntaxError?: ConfSyntaxError;
  readonly conf?: CorosyncConf;
  readonly effective?: EffectiveConfig;
  readonly bindings: readonly { readonly linknumber: number; readonly corosync: BindSelection; readonly safe: BindSelection }[];
  /** Errors first, then by line. */
  readonly findings: readonly Finding[];
}

export function checkConfigText(text: string, opts: CheckOptions = {}): ConfigReport {
  const corosyncVersion = opts.corosyncVersion ?? 3;
  const parsed = parseConfText(text);
  if (!parsed.ok) {
    const e = parsed.error;
    const f = finding('conf.syntax', 'error', { line: e.line, column: e.column }, `${e.message}${e.detail !== undefined ? ` (${e.detail})` : ''}`, 'Fix the syntax: one "key: value", "name {" or "}" per line; comments only on their own line.', `parser error: corosync.conf:${e.line}: ${e.message}`);
    return { ok: false, corosyncVersion, syntaxError: e, bindings: [], findings: [{ ...f, code: e.code }] };
  }
  const built = buildConf(parsed.doc, corosyncVersion);
  const localAddresses = opts.addrs?.map((a) => a.address);
  const effective = computeEffective(built.conf, {
    ...(opts.hostname !== undefined ? { hostname: opts.hostname } : {}),
    ...(localAddresses !== undefined ? { localAddresses } : {}),
  });
  const validated = validateConf(built.conf, effective, {
    ...(opts.addrs !== undefined ? { addrs: opts.addrs } : {}),
    ...(opts.ignoreLabelledAliases !== undefined ? { ignoreLabelledAliases: opts.ignoreLabelledAliases } : {}),
    ...(opts.keyfile !== undefined && keyfilePath(built.conf) !== undefined ? { keyfile: opts.keyfile(keyfilePath(built.conf) ?? '') } : {}),
  });
  const findings = sortFindings([...built.findings, ...validated.findings]);
  return { ok: !hasErrors(findings), corosyncVersion, conf: built.conf, effective, bindings: validated.bindings, findings };
}

/** For the engine and the analysis: effective totem values and the node directory, or why not. */
export function loadTotemConfig(
  text: string,
  opts: CheckOptions = {},
): { readonly totem: EffectiveTotem; readonly nodes: NodeDirectory; readonly report: ConfigReport } | { readonly error: string; readonly report: ConfigReport } {
  const report = checkConfigText(text, opts);
  if (report.effective === undefined || report.conf === undefined) {
    const e = report.syntaxError;
    return { error: e !== undefined ? `corosync.conf:${e.line}:${e.column}: ${e.message}` : 'corosync.conf could not be read', report };
  }
  return { totem: report.effective.totem, nodes: new NodeDirectory(report.effective.nodes), report };
}
