// Starts the real collector (target/release/candor-collector) on a free port,
// serving www/ (so the example site is at /qa-example/) and dist/, with a
// throwaway SQLite database. Used by the Playwright suite's globalSetup and by
// the Selenium example.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '../..');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** Resolves to {url, site, stop()} once the collector printed its address. */
async function start() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-qa-example-'));
  const child = spawn(path.join(ROOT, 'target/release/candor-collector'), ['--listen', '127.0.0.1:0',
    '--db', path.join(dir, 'candor.db'), '--sites', 'recipes.example', '--min-reports', '1',
    '--www', path.join(ROOT, 'www'), '--dist', path.join(ROOT, 'dist')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`candor-collector exited with ${code} (run cargo build --release -p candor-collector)`)));
  });
  const m = /^listening on (\S+)$/.exec(line);
  if (!m) throw new Error(`candor-collector said ${JSON.stringify(line)}`);
  const url = `http://${m[1]}`;
  return {
    url,
    site: `${url}/qa-example/`,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => { fs.rmSync(dir, { recursive: true, force: true }); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}

module.exports = { start, ARGS, ROOT };
