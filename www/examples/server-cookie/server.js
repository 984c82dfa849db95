#!/usr/bin/env node
// A server that honours the visitor's choice from the `candor_consent`
// cookie, before any JavaScript runs in the page: it renders the analytics
// tag only when "stats" was granted under the current revision.
//
//   node www/examples/server-cookie/server.js www/candor.config.json [127.0.0.1:8090]
//
// GET /            an HTML page that says what the server read
// GET /consent     the same as JSON: {decided, purposes}
// Cookie format (README, "The candor_consent cookie"): v1.<fnv1a32(revision)>.<bitmap>,
// bit i = the i-th optional purpose in config order, in hex.
'use strict';
const http = require('node:http');
const fs = require('node:fs');

/** FNV-1a, 32 bit, of the UTF-8 bytes, as 8 hex digits. */
function revisionHash(revision) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(revision, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** {decided: false} unless the cookie is valid for this config; else {decided: true, purposes}. */
function readConsent(config, cookieHeader) {
  const optional = config.purposes.filter((p) => !p.required).map((p) => p.id);
  const undecided = { decided: false, purposes: Object.fromEntries(optional.map((id) => [id, false])) };
  const pair = (cookieHeader || '').split(';').map((s) => s.trim()).find((s) => s.startsWith('candor_consent='));
  if (!pair) return undecided;
  const m = /^v1\.([0-9a-f]{8})\.([0-9a-f]{1,8})$/.exec(pair.slice('candor_consent='.length));
  if (!m || m[1] !== revisionHash(config.revision)) return undecided; // broken or another revision: ask again
  const bits = parseInt(m[2], 16);
  if (optional.length < 32 && bits >>> optional.length !== 0) return undecided;
  return { decided: true, purposes: Object.fromEntries(optional.map((id, i) => [id, ((bits >>> i) & 1) === 1])) };
}

function escape(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

function main() {
  const [configPath, listen = '127.0.0.1:8090'] = process.argv.slice(2);
  if (!configPath) {
    console.error('usage: server.js <candor.config.json> [host:port]');
    process.exit(2);
  }
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
  const server = http.createServer((req, res) => {
    const consent = readConsent(config, req.headers.cookie);
    if (req.url === '/consent') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(JSON.stringify(consent));
    }
    if (req.url !== '/') {
      res.writeHead(404);
      return res.end();
    }
    const rows = Object.entries(consent.purposes).map(([id, on]) =>
      `<li data-purpose="${escape(id)}">${escape(id)}: ${on ? 'granted' : 'denied'}</li>`).join('');
    const tag = consent.purposes.stats || consent.purposes.analytics ? '<p id="analytics">analytics tag rendered</p>' : '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', vary: 'Cookie' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Server reads candor_consent</title></head>
<body><h1>What the server read</h1><p id="decided">${consent.decided ? 'decided' : 'not decided'}</p><ul>${rows}</ul>${tag}</body></html>`);
  });
  server.listen(port, host, () => {
    const a = server.address();
    console.log(`listening on ${a.address}:${a.port}`);
  });
}

if (require.main === module) main();
module.exports = { readConsent, revisionHash };
