// Consent as an external store, in the shape React's useSyncExternalStore
// expects: subscribe(listener) → unsubscribe, getSnapshot(), getServerSnapshot().
// No React import, so it can be tested (and reused) without React.
//
// Why a store and not candor.consent() in render: consent() returns a new
// object on every call, and useSyncExternalStore re-renders (and warns about
// an endless loop) when getSnapshot() gives a different object each time. So
// the snapshot is cached and replaced only when the decision really changed.
// The document listeners exist only while someone is subscribed.

const UNDECIDED = Object.freeze({ revision: null, decided: false, purposes: Object.freeze({}), updated_at: null });
const listeners = new Set();
let snapshot = UNDECIDED;
let snapshotKey = JSON.stringify(UNDECIDED);

// Reads candor.consent(); returns true when it differs from the snapshot.
function refresh() {
  const candor = window.candor;
  if (!candor || typeof candor.consent !== 'function') return false;
  const next = candor.consent();
  const key = JSON.stringify(next);
  if (key === snapshotKey) return false;
  snapshot = Object.freeze({ ...next, purposes: Object.freeze({ ...next.purposes }) });
  snapshotKey = key;
  return true;
}

function onCandorEvent() {
  if (refresh()) for (const listener of [...listeners]) listener();
}

/** Calls `listener` after each change of the visitor's decision; returns the unsubscribe function. */
export function subscribe(listener) {
  if (listeners.size === 0) {
    document.addEventListener('candor:ready', onCandorEvent);
    document.addEventListener('candor:consent', onCandorEvent);
  }
  listeners.add(listener);
  return function unsubscribe() {
    if (!listeners.delete(listener) || listeners.size > 0) return;
    document.removeEventListener('candor:ready', onCandorEvent);
    document.removeEventListener('candor:consent', onCandorEvent);
  };
}

/** The current decision, the same object until it changes. */
export function getSnapshot() {
  // Read every time (one small call), not only while unsubscribed: React
  // renders, then subscribes, then asks again to catch what changed in
  // between (a `candor:ready` in that gap had no listener yet). Unchanged,
  // the same object comes back.
  refresh();
  return snapshot;
}

/** On the server (and in the first hydration pass) nothing has been decided. */
export function getServerSnapshot() {
  return UNDECIDED;
}

/** Whether `purpose` is granted in `consent` (a snapshot). */
export function granted(consent, purpose) {
  return consent.purposes[purpose] === true;
}
