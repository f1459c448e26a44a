export { loadCatalog, GENERATED_DIR, type LoadedCatalog } from './load.ts';
export { compilePatterns } from './patterns.ts';
export type * from './types.ts';
