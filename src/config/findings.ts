/**
 * What `config check` reports: one finding per problem, with where it is, why it matters and what
 * to do. `corosync` carries corosync's own message when corosync itself would print one (then it
 * is verbatim from exec/coroparse.c, exec/totemconfig.c or exec/votequorum.c of 3.1.7).
 */

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable `<area>.<reason>` code, e.g. `totem.consensus-below-token`. */
  readonly code: string;
  readonly severity: Severity;
  /** 1-based line in the file, when the finding has one place. */
  readonly line?: number;
  readonly column?: number;
  /** Why this is a problem. */
  readonly message: string;
  /** What to do about it. */
  readonly action: string;
  /** corosync's own message for the same condition (it refuses to start on every `error` that has one). */
  readonly corosync?: string;
}

export function finding(
  code: string,
  severity: Severity,
  at: { readonly line?: number; readonly column?: number } | undefined,
  message: string,
  action: string,
  corosync?: string,
): Finding {
  return {
    code,
    severity,
    ...(at?.line !== undefined && at.line > 0 ? { line: at.line } : {}),
    ...(at?.column !== undefined && at.column > 0 ? { column: at.column } : {}),
    message,
    action,
    ...(corosync !== undefined ? { corosync } : {}),
  };
}

const ORDER: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

/** Errors first, then by line. */
export function sortFindings(list: readonly Finding[]): Finding[] {
  return [...list].sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || (a.line ?? 0) - (b.line ?? 0) || a.code.localeCompare(b.code));
}

export function hasErrors(list: readonly Finding[]): boolean {
  return list.some((f) => f.severity === 'error');
}
