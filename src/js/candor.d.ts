// Types for window.candor (see the README's API section and CONTRACT.md §3).

export type PurposeId = string;

export interface Consent {
  revision: string | null;
  decided: boolean;
  purposes: Record<PurposeId, boolean>;
  updated_at: number | null;
}

export type TrackReason = "no-consent" | "unknown-event" | "invalid-field" | "not-ready" | "over-budget";

export type TrackResult =
  | { accepted: true }
  | { accepted: false; reason: TrackReason }
  /** Called before the SDK was ready: `result` settles once it is. */
  | { accepted: false; reason: "queued"; result: Promise<TrackResult> };

export type FieldValue = string | number;

export interface CandorError { code: string; message: string }

/** Present only when the config's `qa` allows this host. */
export interface CandorQa {
  /** Moves the SDK clock forward, closing windows and running the upload timer. */
  advance(seconds: number): Promise<{ sent: number }>;
  /** The reports that would be sent next. */
  reports(): Record<string, unknown>[];
  /** Resolves when no upload is in flight. */
  idle(): Promise<void>;
  /** `false` switches noise off for exact assertions. */
  noise(on: boolean): void;
}

export interface Candor {
  readonly qa?: CandorQa;
  /** Resolves once config, stored consent and UI are in place (also after a failed boot: see `error`). */
  readonly ready: Promise<void>;
  /** Set when boot failed (invalid config, config or wasm not loadable). */
  readonly error: CandorError | null;
  readonly version: string;
  consent(): Consent;
  grant(ids: PurposeId[]): Consent;
  deny(ids: PurposeId[]): Consent;
  acceptAll(): Consent;
  rejectAll(): Consent;
  withdraw(): Consent;
  open(view?: "preferences" | "data"): void;
  track(name: string, fields?: Record<string, FieldValue>): TrackResult;
  flush(): Promise<{ sent: number }>;
  /** Runs `callback` once `purpose` is granted (immediately if it already is). Returns a function that cancels it. */
  on(purpose: PurposeId, callback: (consent: Consent) => void): () => void;
  inspect(): Record<string, unknown>;
  erase(): Consent;
}

declare global {
  interface Window { candor: Candor }
  interface DocumentEventMap {
    "candor:ready": CustomEvent<Consent>;
    "candor:consent": CustomEvent<Consent>;
    "candor:report": CustomEvent<Record<string, unknown>>;
    "candor:error": CustomEvent<CandorError>;
  }
}

// Consent signals (README: "Google Consent Mode", "IAB TCF", "The candor_consent cookie").

/** Config `google_consent_mode`: consent type → purposes that must all be granted. */
export type GoogleConsentModeConfig = Record<string, PurposeId[]>;

/** Config `cookie`: the first-party `candor_consent` cookie (written only when present and enabled). */
export interface CookieConfig { enabled?: boolean; domain?: string | null }

/** Config `tcf`: IAB TCF v2.2 settings. */
export interface TcfConfig {
  /** CMP id registered with IAB Europe (2–4095). */
  cmp_id: number;
  cmp_version?: number;
  consent_screen?: number;
  consent_language?: string | null;
  /** Version of the site's copy of the Global Vendor List. */
  vendor_list_version: number;
  /** 4: TCF v2.2 (default); 5: TCF v2.3. */
  policy_version?: 4 | 5;
  publisher_cc: string;
  gdpr_applies?: boolean;
  vendors?: number[];
  /** TCF purpose id ("1"–"24") → purposes that must all be granted. */
  purposes_map: Record<string, PurposeId[]>;
  publisher_purposes_map?: Record<string, PurposeId[]> | null;
}

/** The TCF CMP API installed when the config has `tcf` (or the tag has `data-tcf`). */
export type TcfApi = (
  command: "ping" | "getTCData" | "addEventListener" | "removeEventListener" | string,
  version: number,
  callback: (result: any, success?: boolean) => void,
  parameter?: unknown,
) => void;

declare global {
  interface Window { __tcfapi?: TcfApi; dataLayer?: unknown[] }
}
