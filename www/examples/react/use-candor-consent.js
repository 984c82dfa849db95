// The React hook of the React recipe (README "Recipes: React"). It is the
// whole integration: React subscribes to candor-store.js and re-renders the
// components that use it when the visitor's decision changes.
//
// React is not installed in this repository, so this file is not loaded by
// the example page; the page (app.js) drives the same store through the same
// subscribe/getSnapshot contract, and tests/e2e/examples.test.js checks it.
import { useSyncExternalStore } from 'react';
import { subscribe, getSnapshot, getServerSnapshot, granted } from './candor-store.js';

/** The visitor's decision: `{revision, decided, purposes, updated_at}`. */
export function useCandorConsent() {
  return useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
}

/** Whether one purpose is granted. */
export function usePurpose(purpose) {
  return granted(useCandorConsent(), purpose);
}
