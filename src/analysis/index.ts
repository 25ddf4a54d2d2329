/** Ring reconstruction (issue 8): analyzer, report types, text rendering, capture merging. */
export { RingAnalyzer } from './ringAnalyzer.ts';
export { renderTextReport, type TextReportOptions } from './textReport.ts';
export { Distribution, type DistributionSummary } from './distribution.ts';
export { analyzeFiles, type AnalyzeFilesOptions, type AnalyzeFilesResult, type FileInput } from './files.ts';
export { ClockAligner, CrossCaptureDedup, frameKey, shiftFrame } from './merge.ts';
export { analysisConfigFromConf, analyzerOptionsFromConf, type AnalysisConfig } from './confTimers.ts';
export * from './types.ts';
