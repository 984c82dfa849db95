// A static file server on 127.0.0.1 for the time-to-prompt pages: every tool
// is served by the same server, with the same headers, and brotli-compressed
// (quality 11, compressed once at start) when the browser accepts it, as a
// production site with precompressed assets would serve it. The collector is
// not used here because it serves files uncompressed, which would measure
// our transfer of raw bytes rather than what a visitor downloads.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
};

/** Serves `files` ({urlPath: filePath}); resolves to {url, close()}. */
function serve(files) {
  const table = new Map();
  for (const [url, file] of Object.entries(files)) {
    const body = fs.readFileSync(file);
    const br = zlib.brotliCompressSync(body, { params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
    table.set(url, { body, br, type: TYPES[path.extname(file)] || 'application/octet-stream' });
  }
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const f = table.get(u.pathname);
    if (!f) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('not found');
    }
    const useBr = /\bbr\b/.test(req.headers['accept-encoding'] || '');
    const body = useBr ? f.br : f.body;
    const headers = { 'Content-Type': f.type, 'Content-Length': body.length, 'Cache-Control': 'no-store' };
    if (useBr) headers['Content-Encoding'] = 'br';
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) });
    });
  });
}

module.exports = { serve };
