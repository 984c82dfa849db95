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
  /** Every `candor.` key in localStorage and its size (UTF-16 code units × 2). */
  storage: { key: string; bytes: number }[];
  /** Reports waiting to be sent. */
  pending: Record<string, unknown>[];
  /** Aggregates whose window is still open. */
  open: { purpose: PurposeId; start: number; seconds: number; events: Record<string, unknown> }[];
  /** Reports dropped because the queue was full. */
  dropped: number;
  /** The last 20 acknowledged reports, kept for `history_days`. */
  history: { sent_at: number; report: Record<string, unknown> }[];
  /** Receipts of this browser's decisions; `acknowledged` once the collector stored them. */
  receipts: (Receipt & { acknowledged: boolean })[];
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
  /** Opens the preferences layer, or the "Your data" view; any other view throws. */
  open(view?: "preferences" | "data"): void;
  track(name: string, fields?: Record<string, FieldValue>): TrackResult;
  flush(): Promise<{ sent: number }>;
  /** Runs `callback` once `purpose` is granted (immediately if it already is). Returns a function that cancels it. */
  on(purpose: PurposeId, callback: (consent: Consent) => void): () => void;
  inspect(): Inspection;
  /** Deletes every Candor key and declared cookie, asks the collector to delete this browser's receipts, asks again. */
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
