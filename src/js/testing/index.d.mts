// Types of the ESM entry (index.mjs): the same as index.d.ts.
export * from './index.js';
