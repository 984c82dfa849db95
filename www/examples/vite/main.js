// Candor in a Vite app. In a project: install the tarball that `make package`
// writes to target/package/ (`npm install ./candor-<version>.tgz`; the
// package is not on the public registry), then `npx vite build`.
//
// The config is imported, so Vite bundles it (no extra request). The wasm is
// imported with `?url`, so Vite emits it as a hashed asset and gives its URL
// to load(); that override is how any bundled app points Candor at the wasm.
// (Without wasmUrl, load() looks next to candor.mjs, which Vite also handles.)
import { load } from 'candor';
import wasmUrl from 'candor/candor_bg.wasm?url';
import config from './candor.config.json';

const status = document.getElementById('status');

load({ config, wasmUrl }).then((candor) => {
  if (candor.error) {
    status.textContent = 'Candor could not start: ' + candor.error.message;
    return;
  }
  const show = (consent) => {
    status.textContent = consent.decided
      ? 'Counting visits is ' + (consent.purposes.analytics ? 'on.' : 'off.')
      : 'You have not chosen yet.';
  };
  show(candor.consent());
  document.addEventListener('candor:consent', (e) => show(e.detail));
  document.getElementById('choices').addEventListener('click', () => candor.open());
  candor.on('analytics', () => candor.track('page_view', { path: '/' }));
});
