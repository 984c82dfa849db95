// The React recipe's single-page app, without React (React is not installed
// here). `mount` does what useSyncExternalStore does for a component: read
// the snapshot, subscribe, and render again only when the snapshot is a
// different object. The components are plain functions of the snapshot.
import { load } from '/candor/candor.mjs';
import { subscribe, getSnapshot, granted } from './candor-store.js';

function mount(component) {
  let current = getSnapshot();
  component(current);
  return subscribe(() => {
    const next = getSnapshot();
    if (Object.is(next, current)) return;
    current = next;
    component(next);
  });
}

let renders = 0;
const $ = (id) => document.getElementById(id);

// <ConsentStatus/> and <VideoSlot/> in one render function.
function App(consent) {
  renders += 1;
  $('decided').textContent = consent.decided ? 'You have chosen.' : 'You have not chosen yet.';
  $('analytics').textContent = granted(consent, 'analytics') ? 'on' : 'off';
  const slot = $('video-slot');
  const frame = slot.querySelector('iframe');
  if (granted(consent, 'personalization')) {
    if (!frame) {
      const iframe = document.createElement('iframe');
      iframe.title = 'Product video';
      iframe.src = '/video.html';
      slot.replaceChildren(iframe);
    }
  } else if (frame || !slot.querySelector('button')) {
    const allow = document.createElement('button');
    allow.type = 'button';
    allow.id = 'allow-video';
    allow.textContent = 'Allow videos';
    allow.addEventListener('click', () => window.candor.grant(['personalization']));
    slot.replaceChildren(allow);
  }
}

const unmount = mount(App);
$('choices').addEventListener('click', () => window.candor.open());

// Exposed for tests/e2e/examples.test.js.
window.reactExample = {
  renders: () => renders,
  unmount,
  getSnapshot,
  load,
  ready: load({ configUrl: '/candor.config.json' }),
};
