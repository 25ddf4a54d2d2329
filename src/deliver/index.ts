/** The ordered delivery view (issue 5): assembler, value types, output forms. */
export * from './types.ts';
export * from './assembler.ts';
export * from './format.ts';
export * from './frames.ts';
