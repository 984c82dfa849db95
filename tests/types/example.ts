// Type-checked, never run: `tsc --noEmit -p tests/types` (make test-types).
// It uses the whole window.candor API, load(), the candor:* events and a config
// with every key, and each `@ts-expect-error` line checks that a mistake a site
// could make is a type error (tsc fails if such a line compiles cleanly).
import { load } from "candor";
import type {
  Candor, CandorConfig, CandorError, CandorPreset, Consent, FieldConfig, FieldKind, Inspection, LoadOptions,
  Report, TextId, TrackReason, TrackResult,
} from "candor";

const config: CandorConfig = {
  site: "shop.example",
  revision: "2026-11-01",
  collector: "/v1/reports",
  language: "auto",
  default_language: "de",
  purposes: [
    { id: "necessary", required: true, label: "Keep the site working", explain: "We store your cart.", benefit: "The site works." },
    {
      id: "analytics",
      label: { en: "Count visits", de: "Besuche zählen" },
      explain: "We count page views.",
      benefit: "We fix slow pages.",
      retention_days: 30,
      gpc: true,
      cookies: ["_ga*"],
    },
  ],
  events: {
    page_view: {
      purpose: "analytics",
      max_per_window: 20,
      fields: {
        path: { kind: "category", values: ["/", "/shop", "/cart"] },
        load_ms: { kind: "histogram", buckets: [100, 300, 1000, 3000] },
        clicks: { kind: "count" },
      },
    },
    purchase: { purpose: "analytics", fields: { amount: { kind: "sum", min: 0, max: 500 } } },
  },
  aggregation: { window_seconds: 60, noise: { epsilon: 1.0 } },
  expires_days: 182,
  reopen: "none",
  debug: true,
  history_days: 7,
  qa: { hosts: ["localhost"] },
  vendors: [{ purpose: "analytics", urls: ["https://stats.example/*"], name: "Stats Inc." }],
  google_consent_mode: { analytics_storage: ["analytics"] },
  cookie: { enabled: true, domain: null },
  texts: { heading: "Hello", accept_all: { en: "Yes please", de: "Ja bitte" } },
};

const minimal: CandorConfig = {
  site: "blog.example",
  revision: "1",
  collector: null,
  aggregation: { noise: null },
  qa: false,
  purposes: [{ id: "stats", label: "Count visits", explain: "We count page views.", benefit: "We fix slow pages." }],
};

const kinds: FieldKind[] = ["category", "histogram", "sum", "count"];
const textId: TextId = "reject_all";

async function whole(): Promise<void> {
  const options: LoadOptions = { config, wasmUrl: new URL("/assets/candor_bg.wasm", location.href) };
  const candor: Candor = await load(options);
  await load({ configUrl: "/candor.config.json" });
  await load({ config: JSON.stringify(minimal), wasmUrl: "/candor/candor_bg.wasm" });
  await load();
  if (candor !== window.candor) throw new Error("one instance");

  await window.candor.ready;
  const error: CandorError | null = candor.error;
  if (error) console.log(error.code, error.message);
  const version: string = candor.version;

  const c: Consent = candor.consent();
  const granted: boolean | undefined = c.purposes["analytics"];
  const when: number | null = c.updated_at;
  const rev: string | null = c.revision;
  console.log(version, granted, when, rev, c.decided);

  candor.grant(["analytics"]);
  candor.deny(["analytics"]);
  candor.acceptAll();
  candor.rejectAll();
  candor.withdraw();
  candor.open();
  candor.open("preferences");

  const r: TrackResult = candor.track("page_view", { path: "/shop", load_ms: 420 });
  if (!r.accepted) {
    const reason: TrackReason = r.reason;
    console.log(reason);
  }
  candor.track("purchase");
  const referrer: string | undefined = undefined;
  candor.track("page_view", { path: "/", ref: referrer });
  candor.track("purchase", null);

  const { sent }: { sent: number } = await candor.flush();
  const cancel: () => void = candor.on("analytics", (now: Consent) => console.log(now.purposes, sent));
  cancel();

  const seen: Inspection = candor.inspect();
  console.log(seen.storage.map((s) => s.key + s.bytes), seen.pending.map((p: Report) => p.report_id), seen.dropped);
  console.log(seen.consent.decided, seen.open.map((a) => a.purpose + a.start + a.seconds + a.id + Object.keys(a.events)));
  console.log(seen.durable === null ? 0 : seen.durable.bytes);
  console.log(candor.erase().decided);

  if (candor.qa) {
    candor.qa.noise(false);
    await candor.qa.advance(60);
    const next: Report[] = candor.qa.reports();
    console.log(next[0]?.window.start, next[0]?.noise?.epsilon);
    await candor.qa.idle();
  }
  const preset: CandorPreset = { purposes: { analytics: true }, decided: true, noise: false };
  window.candorPreset = preset;

  document.addEventListener("candor:ready", (e) => console.log(e.detail.decided));
  document.addEventListener("candor:consent", (e) => console.log(e.detail.purposes));
  document.addEventListener("candor:report", (e) => {
    const report: Report = e.detail;
    for (const [name, ev] of Object.entries(report.events)) console.log(name, ev.count, ev.fields);
  });
  document.addEventListener("candor:error", (e) => console.log(e.detail.code, e.detail.message));
}

// Mistakes that must not type-check.
const mistakes: CandorConfig[] = [
  // @ts-expect-error: site is required
  { revision: "1", purposes: [] },
  // @ts-expect-error: unknown top-level key (the SDK rejects it too)
  { site: "s", revision: "1", purposes: [], analytics: true },
  // @ts-expect-error: a category field needs values
  { site: "s", revision: "1", purposes: [], events: { e: { purpose: "p", fields: { f: { kind: "category" } } } } },
  // @ts-expect-error: no such field kind
  { site: "s", revision: "1", purposes: [], events: { e: { purpose: "p", fields: { f: { kind: "text" } } } } },
  // @ts-expect-error: reopen is "button" or "none"
  { site: "s", revision: "1", purposes: [], reopen: "link" },
  // @ts-expect-error: a misspelt Consent Mode type (the SDK rejects it too)
  { site: "s", revision: "1", purposes: [], google_consent_mode: { analytic_storage: ["p"] } },
  // @ts-expect-error: window_seconds is a number
  { site: "s", revision: "1", purposes: [], aggregation: { window_seconds: "60" } },
  // @ts-expect-error: texts keys are the built-in string ids
  { site: "s", revision: "1", purposes: [], texts: { headline: "Hi" } },
];

function misuse(candor: Candor): void {
  // @ts-expect-error: grant takes an array of ids
  candor.grant("analytics");
  // @ts-expect-error: field values are strings or numbers
  candor.track("page_view", { path: ["/"] });
  // @ts-expect-error: unknown load() option
  void load({ config, wasm: "/x.wasm" });
  // @ts-expect-error: ready is read-only
  candor.ready = Promise.resolve();
  // @ts-expect-error: a field of kind "sum" has no values
  const f: FieldConfig = { kind: "sum", min: 0, max: 1, values: [] };
  console.log(f);
}

console.log(kinds, textId, mistakes, whole, misuse);
