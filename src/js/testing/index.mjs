// ESM entry of candor/testing: the same kit as index.js (CommonJS).
import { createRequire } from 'node:module';

const kit = createRequire(import.meta.url)('./index.js');

export const {
  TESTIDS, presetUrl, usePreset, waitForReady, consent, reports, advance, idle, noise,
  acceptAll, rejectAll, grant, openPreferences, expectPrompt, startLeakWatch,
} = kit;
// `test` and `expect` when @playwright/test is installed (undefined otherwise:
// ES modules cannot load it lazily, and the plain helpers must not need it).
let pw = {};
try { pw = { test: kit.test, expect: kit.expect }; } catch (e) { /* playwright-core only */ }
export const { test, expect } = pw;
export default kit;
