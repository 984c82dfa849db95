// Types for candor/testing (see the README's "QA guide").
import type { Page } from 'playwright-core';

export interface PresetObject {
  purposes?: Record<string, boolean>;
  decided?: boolean;
  noise?: boolean;
}
/** An object (becomes window.candorPreset) or the URL form. */
export type Preset = PresetObject | 'accept-all' | 'reject-all' | `grant:${string}`;

export interface Consent {
  revision: string | null;
  decided: boolean;
  purposes: Record<string, boolean>;
  updated_at: number | null;
}

export declare const TESTIDS: {
  readonly prompt: 'candor-prompt';
  readonly acceptAll: 'candor-accept-all';
  readonly rejectAll: 'candor-reject-all';
  readonly customize: 'candor-customize';
  readonly save: 'candor-save';
  readonly close: 'candor-close';
  readonly reopen: 'candor-reopen';
  toggle(purpose: string): string;
  readonly gpc: 'candor-gpc';
  readonly yourData: 'candor-your-data';
  readonly dataView: 'candor-data-view';
  readonly dataStorage: 'candor-data-storage';
  readonly dataReceipts: 'candor-data-receipts';
  dataPurpose(purpose: string): string;
  dataWaiting(purpose: string): string;
  dataSent(purpose: string): string;
  readonly export: 'candor-export';
  readonly erase: 'candor-erase';
  readonly eraseConfirm: 'candor-erase-confirm';
  readonly status: 'candor-status';
  readonly dataBack: 'candor-data-back';
  readonly announce: 'candor-announce';
  placeholderAllow(...purposes: string[]): string;
};

/** `url` with `?candor=<preset>`. */
export declare function presetUrl(url: string, preset: string): string;
/** Call before the first goto: every document of `page` starts with `preset`. */
export declare function usePreset(page: Page, preset: Preset | undefined): Promise<void>;
/** Waits for `candor.ready`; throws if Candor failed to boot. */
export declare function waitForReady(page: Page): Promise<Consent>;
export declare function consent(page: Page): Promise<Consent>;
/** `candor.qa.reports()`: the reports that would be sent next. */
export declare function reports(page: Page): Promise<Record<string, unknown>[]>;
/** `candor.qa.advance(seconds)`. */
export declare function advance(page: Page, seconds: number): Promise<{ sent: number }>;
/** `candor.qa.idle()`: resolves when no upload is in flight. */
export declare function idle(page: Page): Promise<void>;
/** `candor.qa.noise(on)`. */
export declare function noise(page: Page, on: boolean): Promise<void>;

/** Clicks "Accept all" in the prompt; resolves to the decision. */
export declare function acceptAll(page: Page): Promise<Consent>;
/** Clicks "Reject all" in the prompt; resolves to the decision. */
export declare function rejectAll(page: Page): Promise<Consent>;
/** Switches exactly these purposes on in the preferences view and saves. */
export declare function grant(page: Page, ...ids: (string | string[])[]): Promise<Consent>;
export declare function openPreferences(page: Page): Promise<void>;
/** Throws unless the first layer is fair (equal accept/reject, reject a <button>, nothing pre-checked). */
export declare function expectPrompt(page: Page, options?: { preferences?: boolean }): Promise<void>;

export interface LeakCheckOptions {
  /** The purposes the test allows: anything tied to another purpose is a leak too. */
  purposes?: Record<string, boolean> | string[];
}
export interface LeakWatch {
  expectNoLeaks(options?: LeakCheckOptions): Promise<void>;
  leaks(options?: LeakCheckOptions): Promise<string[]>;
  records(): Record<string, unknown>[];
  timeline(): { t: number; purposes: Record<string, boolean>; decided: boolean; where: string }[];
}
/** Call before the first goto. Without config/configUrl the config is read from the page. */
export declare function startLeakWatch(page: Page, options?: { config?: object; configUrl?: string }): Promise<LeakWatch>;

export interface CandorFixtures {
  candorPreset: Preset | undefined;
  candorConfig: object | undefined;
  leakWatch: LeakWatch;
  candorPage: Page & { leaks: LeakWatch };
  expectNoLeaks(options?: LeakCheckOptions): Promise<void>;
}
/** @playwright/test's `test`, extended with the Candor fixtures (needs @playwright/test). */
export declare const test: import('@playwright/test').TestType<
  import('@playwright/test').PlaywrightTestArgs & import('@playwright/test').PlaywrightTestOptions & CandorFixtures,
  import('@playwright/test').PlaywrightWorkerArgs & import('@playwright/test').PlaywrightWorkerOptions>;
export declare const expect: typeof import('@playwright/test').expect;
