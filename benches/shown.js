// Whether a tool's banner element is visible: the one test benches/prompt.js
// and benches/ttp-breakdown.js apply in the page. Exported as source text,
// because an init script runs in the page and cannot close over this module.
'use strict';

function shown(el) {
  const r = el.getBoundingClientRect();
  if (!(r.width > 0 && r.height > 0)) return false;
  const s = getComputedStyle(el);
  if (s.visibility === 'hidden' || s.display === 'none') return false;
  for (let n = el; n; n = n.parentElement || (n.getRootNode() && n.getRootNode().host)) {
    if (Number(getComputedStyle(n).opacity) === 0) return false;
  }
  return true;
}

module.exports = { SHOWN: `(${shown})` };
