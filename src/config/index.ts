/**
 * corosync.conf: parser, typed model, effective values (as corosync 3.1.7 / 2.4.6 compute them),
 * validation findings, address selection. Start with `checkConfigText` or `loadTotemConfig`.
 */
export { parseConfText, formatSyntaxError, isSection, MAX_LINE_LENGTH } from './parse.ts';
export type { ConfDocument, ConfEntry, ConfSection, ConfSyntaxCode, ConfSyntaxError, ParseResult } from './parse.ts';
export { buildConf, parseCInteger, INTERFACE_MAX, TOTEM_U32_KEYS, TOTEM_STRING_KEYS, INTERFACE_KEYS } from './model.ts';
export type {
  BuildResult,
  CmapEntry,
  CmapType,
  CorosyncConf,
  CorosyncVersion,
  InterfaceConf,
  LoggingConf,
  NodeConf,
  QuorumConf,
  Setting,
  TotemConf,
} from './model.ts';
export {
  computeEffective,
  clusterMcastAddr,
  findLocalNode,
  transportOf,
  MINIMUM_TIMEOUT,
  MINIMUM_TIMEOUT_HOLD,
  KNET_MAX_PACKET_SIZE,
  UDP_NETMTU,
  DEFAULT_PORT,
} from './effective.ts';
export type { EffectiveConfig, EffectiveLink, EffectiveOptions, EffectiveTotem, EffectiveValue, Origin } from './effective.ts';
export { clusterNodes, generateNodeid, ipv4ToInt, NodeDirectory } from './nodes.ts';
export type { ClusterNode, Transport } from './nodes.ts';
export { parseIpAddrJson, selectBindAddress, addressBytes, sameAddress } from './addrs.ts';
export type { BindMatch, BindOptions, BindRule, BindSelection, HostAddress } from './addrs.ts';
export { validateConf, keyfilePath, KEY_LEN_MIN, KEY_LEN_MAX } from './validate.ts';
export type { KeyfileState, ValidateOptions, ValidationResult } from './validate.ts';
export { finding, hasErrors, sortFindings } from './findings.ts';
export type { Finding, Severity } from './findings.ts';
export { checkConfigText, loadTotemConfig } from './check.ts';
export type { CheckOptions, ConfigReport } from './check.ts';
export { renderReportText, reportToJson } from './report.ts';
