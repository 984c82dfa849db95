// Types of the ES module candor.mjs: every type of candor.d.ts (window.candor,
// the config, the candor:* events), and load(), which only the module exports
// (the classic script candor.js exports nothing: `require("candor")` has no load).
import type { Candor, LoadOptions } from "./candor.js";
export * from "./candor.js";

/**
 * Starts Candor once and resolves to `window.candor` when it is ready (also after a
 * failed boot: then `candor.error` is set). Later valid calls return the same promise
 * without applying their options; if a classic `<script src=".../candor.js">` already
 * started Candor, that instance is returned. Invalid options (and a call without a
 * `document`, as in server rendering) reject with a `TypeError` and start nothing.
 */
export function load(options?: LoadOptions): Promise<Candor>;
