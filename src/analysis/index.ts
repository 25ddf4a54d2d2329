/** Ring reconstruction (issue 8): analyzer, report types, text rendering, capture merging. */
export { RingAnalyzer } from './ringAnalyzer.ts';
export { renderTextReport, type TextReportOptions } from './textReport.ts';
export { Distribution, type DistributionSummary } from './distribution.ts';
export * from './types.ts';
