// ESM entry of candor/testing: the same kit as index.js (CommonJS).
// `test` and `expect` load @playwright/test on first use, so importing the
// plain helpers never needs it.
import { createRequire } from 'node:module';

const kit = createRequire(import.meta.url)('./index.js');

export const {
  TESTIDS, presetUrl, usePreset, waitForReady, consent, reports, advance, idle, noise,
  acceptAll, rejectAll, grant, openPreferences, expectPrompt, startLeakWatch,
} = kit;
/** The @playwright/test fixture (loads @playwright/test when called). */
export const fixture = () => ({ test: kit.test, expect: kit.expect });
export default kit;
