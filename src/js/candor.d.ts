// Types for Candor: window.candor (README "JavaScript API", CONTRACT.md §3),
// the ES module's load(), the candor:* events, and the site config
// (pkg-config/candor.config.schema.json, CONTRACT.md §2). One file serves the
// classic script and the npm package's "types". tests/types/example.ts uses the
// whole API and a full config (`make test-types`); tests/schema/types.test.js
// keeps CandorConfig's keys equal to the schema's.

// ---------------------------------------------------------------- config

/** `^[a-z][a-z0-9_-]{0,31}$` */
export type PurposeId = string;

/** A language tag such as `"en"` or `"pt-BR"`. */
export type LanguageTag = string;

/** One text for every language, or per-language texts (`{"en": "...", "de": "..."}`). */
export type Text = string | { [language: LanguageTag]: string };

export interface PurposeConfig {
  /** Stable id, `^[a-z][a-z0-9_-]{0,31}$`. */
  id: PurposeId;
  /** Needs no consent and cannot be switched off. Default `false`. */
  required?: boolean;
  /** Short name of the purpose (at most 200 characters). */
  label: Text;
  /** What is collected and why, in plain sentences. */
  explain: Text;
  /** What the visitor gets in return. */
  benefit: Text;
  /** How long data for this purpose is kept, in days. */
  retention_days?: number | null;
  /** Global Privacy Control applies to this purpose. Default `true`. */
  gpc?: boolean;
  /** Cookie-name globs (`_ga*`) deleted when the purpose is withdrawn. */
  cookies?: string[];
}

/** One of the listed values; anything else counts as `"other"` (reserved). */
export interface CategoryField { kind: "category"; values: string[] }
/** Strictly increasing bucket upper bounds; an overflow bucket is added. */
export interface HistogramField { kind: "histogram"; buckets: number[] }
/** A sum of values clamped to `[min, max]`. */
export interface SumField { kind: "sum"; min: number; max: number }
/** The event itself is counted; the field carries no value. */
export interface CountField { kind: "count" }
export type FieldConfig = CategoryField | HistogramField | SumField | CountField;
export type FieldKind = FieldConfig["kind"];

export interface EventConfig {
  /** A declared purpose id: the event is recorded only while it is granted. */
  purpose: PurposeId;
  /** Declared fields (at most 16); anything else makes `track` refuse the event. */
  fields?: { [field: string]: FieldConfig };
  /** Contribution bound: events counted per window; more are answered `{accepted: true, capped: true}` and not counted. Default: 100 when `aggregation.noise` is set, otherwise none (counts are exact). */
  max_per_window?: number | null;
}

export interface NoiseConfig {
  /** Privacy budget per report, in `(0, 100]`. */
  epsilon: number;
}

export interface AggregationConfig {
  /** Window length in seconds, 1 to 86400. Default 60. */
  window_seconds?: number;
  /** Local noise; `null` or absent: exact counts. */
  noise?: NoiseConfig | null;
}

/** `true`/`false` everywhere, or on for the listed hosts only. */
export type QaConfig = boolean | { hosts: string[] };

export interface VendorConfig {
  purpose: PurposeId;
  /** URL globs (`*` matches anything). */
  urls: string[];
  name?: string | null;
}

/** Google Consent Mode type (`ad_storage`, `analytics_storage`, …) → purposes that must all be granted. */
export type GoogleConsentType =
  | "ad_storage" | "ad_user_data" | "ad_personalization" | "analytics_storage"
  | "functionality_storage" | "personalization_storage" | "security_storage";
export type GoogleConsentModeConfig = { [T in GoogleConsentType]?: PurposeId[] };

/** Config `cookie`: the first-party `candor_consent` cookie (written only when the key is present). */
export interface CookieConfig {
  /** Set the `candor_consent` cookie at all. Default `true`. */
  enabled?: boolean;
  /** Cookie domain; `null` or absent: the current host. */
  domain?: string | null;
}

/** Ids of the built-in UI strings (`pkg-config/locales/en.json`). */
export type TextId =
  | "heading" | "intro" | "asks" | "accept_all" | "reject_all" | "customize" | "save" | "close" | "close_decided" | "prefs_heading"
  | "prefs_intro" | "always_on" | "required_why" | "benefit_prefix" | "retention" | "retention_one" | "reopen" | "gpc"
  | "back" | "your_data" | "data_intro" | "data_waiting" | "data_sent" | "data_stored" | "data_nothing_waiting" | "data_kept" | "data_nothing_kept" | "data_nothing_sent" | "data_nothing_sent_one"
  | "data_nothing_stored" | "data_on" | "data_off" | "data_export" | "data_erase" | "data_erase_confirm" | "data_erase_yes" | "data_erased" | "saved" | "placeholder" | "allow" | "data_event"
  | "data_grouped" | "data_ranges" | "data_added" | "data_and" | "data_separator" | "data_no_events" | "data_open" | "data_pending" | "data_kept_totals"
  | "data_sent_on" | "data_noise" | "data_receipts" | "data_receipt" | "data_receipt_waiting" | "data_receipt_local" | "data_choice" | "data_bytes" | "data_bytes_one" | "data_key" | "data_key_consent" | "data_key_receipts" | "data_key_history"
  | "data_key_open" | "data_key_report" | "data_key_kept" | "data_key_dropped" | "data_key_lease" | "data_key_alive" | "data_key_tab" | "data_key_tab_live" | "data_key_gcm"
  | "data_key_forget" | "data_key_retry" | "data_key_durable" | "data_key_other";

/** The site config. Unknown keys are errors (the SDK refuses the whole config). */
export interface CandorConfig {
  /** Where editors find the config's JSON Schema (`candor/schema.json`); read and ignored. */
  $schema?: string;
  /** The site's name, as the collector's `--sites` knows it. */
  site: string;
  /** Changing it asks every visitor again. */
  revision: string;
  /** Where reports are POSTed (`/path` or `http(s)://`); `null` keeps them local. Default `"/v1/reports"`. */
  collector?: string | null;
  /** `"auto"` follows `navigator.languages`; or a language tag. Default `"auto"`. */
  language?: "auto" | LanguageTag;
  /** The end of the language fallback chain. Default `"en"`. */
  default_language?: LanguageTag;
  /** 1 to 32 purposes. */
  purposes: PurposeConfig[];
  /** Every event the site may record, by name (at most 64). */
  events?: { [event: string]: EventConfig };
  aggregation?: AggregationConfig;
  /** A decision older than this asks again, 1 to 3650. Default 182. */
  expires_days?: number;
  /** `"button"` shows a small "Your choices" control after a decision. Default `"button"`. */
  reopen?: "button" | "none";
  /** Log every refused `track` with its reason. Default `false`. */
  debug?: boolean;
  /** Days the local history of sent reports is kept, 1 to 3650. Default 30. */
  history_days?: number;
  /** QA presets and clock (README "QA guide"). Default off. */
  qa?: QaConfig;
  vendors?: VendorConfig[];
  google_consent_mode?: GoogleConsentModeConfig | null;
  cookie?: CookieConfig | null;
  /** IAB TCF v2.2 CMP API and TC string (README "Consent signals"). */
  tcf?: TcfConfig | null;
  /** Overrides of built-in UI strings. */
  texts?: { [id in TextId]?: Text };
}

// ---------------------------------------------------------------- runtime

export interface Consent {
  revision: string | null;
  decided: boolean;
  purposes: Record<PurposeId, boolean>;
  /** Unix seconds of the decision; `null` before one. */
  updated_at: number | null;
}

export type TrackReason = "no-consent" | "unknown-event" | "invalid-field" | "not-ready";

export type TrackResult =
  /** `capped`: valid and consented, but past its `max_per_window` in this window, so not counted. */
  | { accepted: true; capped?: true }
  /** `not-ready`: called before `candor.ready` resolved; nothing was recorded. After a failed boot: `no-consent`. */
  | { accepted: false; reason: TrackReason };

export type FieldValue = string | number;

export type CandorErrorCode = "config" | "config-fetch" | "wasm-load" | "report-rejected" | "boot" | "activation" | "storage" | "receipt-delete" | "receipt-rejected" | "qa-preset" | "collector-blocked";

export interface CandorError { code: CandorErrorCode | (string & {}); message: string }

/** One event's aggregate in a report: category cells by value, histogram buckets, or a clamped sum. */
export interface ReportEvent {
  count: number;
  fields?: { [field: string]: Record<string, number> | number[] | number };
}

/** What is uploaded, one per purpose and window (CONTRACT.md §6). */
export interface Report {
  report_id: string;
  site: string;
  revision: string;
  purpose: PurposeId;
  window: { start: number; seconds: number };
  events: { [event: string]: ReportEvent };
  noise: { mechanism: string; epsilon: number } | null;
  sdk: string;
}

/** Present only when the config's `qa` allows this host. */
export interface CandorQa {
  /** Moves the SDK clock forward, closing windows and running the upload timer. */
  advance(seconds: number): Promise<{ sent: number }>;
  /** The SDK's clock in Unix seconds: the wall clock plus what `advance` added. */
  now(): number;
  /** The reports that would be sent next. */
  reports(): Report[];
  /** Resolves when no upload is in flight: reports, and the receipt of a decision just made. */
  idle(): Promise<void>;
  /** `false` switches noise off for exact assertions (and the default `max_per_window` of 100 with it). */
  noise(on: boolean): void;
}

/** `window.candorPreset`, honoured only in QA mode. */
export interface CandorPreset {
  purposes?: Record<PurposeId, boolean>;
  decided?: boolean;
  noise?: boolean;
}

/** A consent receipt (ISO/IEC TS 27560-style), as POSTed to `/v1/receipts` without `texts`. */
export interface Receipt {
  receipt_id: string;
  site: string;
  revision: string;
  language: string;
  /** SHA-256 (hex) of the canonical JSON text bundle shown. */
  texts_sha256: string;
  choices: Record<PurposeId, boolean>;
  method: "button" | "api" | "gpc";
  /** Unix seconds. */
  timestamp: number;
  sdk: string;
}

/** What `inspect()` returns; the export file holds the same plus `site` and `exported_at`. */
export interface Inspection {
  consent: Consent;
  /** Every `candor.` key Candor keeps in this browser (localStorage, and this tab's `candor.tab` and `candor.tab.live` in sessionStorage) and its size (UTF-16 code units × 2). */
  storage: { key: string; bytes: number }[];
  /** The durable copy of the decision (IndexedDB database `candor`, written to disk at once), or `null` when it holds none. */
  durable: { key: "IndexedDB candor"; bytes: number } | null;
  /** Reports waiting to be sent. */
  pending: Report[];
  /** This tab's aggregates whose window is still open, one per purpose and window. */
  open: { purpose: PurposeId; start: number; seconds: number; /** The `report_id` it will be sent under. */ id: string; events: { [event: string]: ReportEvent } }[];
  /** Reports dropped because the queue was full. */
  dropped: number;
  /** The last 20 acknowledged reports, kept for `history_days`. */
  history: { sent_at: number; report: Report }[];
  /** Receipts of this browser's decisions; `acknowledged` once the collector stored them; `refused` when it refused one for good (kept here only, not sent again). */
  receipts: (Receipt & { acknowledged: boolean; refused?: true })[];
}

/**
 * Before `ready` resolved, calls other than `track`, `consent` and `on` are
 * queued and return a `Promise` of the value typed below (settled in order
 * once the SDK is up), and `consent()` has no purposes yet. Await `ready`
 * first for the plain values. After a failed boot (`error` set) every call
 * answers with these types and changes nothing: the undecided consent
 * (no purposes), an empty inspection, `{sent: 0}`.
 */
export interface Candor {
  readonly qa?: CandorQa;
  /** Resolves once config, stored consent and UI are in place (also after a failed boot: see `error`). */
  readonly ready: Promise<void>;
  /** Set when boot failed (invalid config, config or wasm not loadable). */
  readonly error: CandorError | null;
  readonly version: string;
  consent(): Consent;
  /** Throws an `Error` naming an unknown id, and changes nothing. */
  grant(ids: PurposeId[]): Consent;
  deny(ids: PurposeId[]): Consent;
  acceptAll(): Consent;
  rejectAll(): Consent;
  /** Denies every optional purpose and discards their pending data. */
  withdraw(): Consent;
  /** Opens the preferences layer, or the "Your data" view; any other view throws. */
  open(view?: "preferences" | "data"): void;
  /** Never throws. */
  /** A field set to `undefined` counts as not given. */
  track(name: string, fields?: Record<string, FieldValue | undefined> | null): TrackResult;
  /** Closes the current window and uploads what is pending; `sent` counts the reports the collector acknowledged while it ran (by its own upload, or one already on its way). */
  flush(): Promise<{ sent: number }>;
  /** Runs `callback` once `purpose` is granted (immediately if it already is). Returns a function that cancels it. */
  on(purpose: PurposeId, callback: (consent: Consent) => void): () => void;
  inspect(): Inspection;
  /** Deletes every Candor key and declared cookie, asks the collector to delete this browser's receipts, asks again. */
  erase(): Consent;
}

// ---------------------------------------------------------------- ES module

/** Options of `load()` (candor.d.mts, the ES module's types). Give `config` or `configUrl` (or neither: then the page's `#candor-config` element). */
export interface LoadOptions {
  /** The config itself, as an object or a JSON string. */
  config?: CandorConfig | string;
  /** Where to fetch the config from (resolved against the page). */
  configUrl?: string | URL;
  /** Where `candor_bg.wasm` is. Default: next to `candor.mjs` (`new URL("./candor_bg.wasm", import.meta.url)`). */
  wasmUrl?: string | URL;
}


export interface CandorEventMap {
  "candor:ready": CustomEvent<Consent>;
  "candor:consent": CustomEvent<Consent>;
  "candor:report": CustomEvent<Report>;
  "candor:error": CustomEvent<CandorError>;
}

declare global {
  interface Window {
    candor: Candor;
    candorPreset?: CandorPreset;
  }
  interface DocumentEventMap extends CandorEventMap {}
}

// Consent signals (README: "Google Consent Mode", "IAB TCF", "The candor_consent cookie").

/** Config `tcf`: IAB TCF v2.2 settings. */
export interface TcfConfig {
  /** CMP id registered with IAB Europe (2–4095). */
  cmp_id: number;
  cmp_version?: number;
  consent_screen?: number;
  /** The TC string's ConsentLanguage (two letters). Default: the language the prompt is shown in, else `default_language`'s. */
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
