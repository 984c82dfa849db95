// Writes BENCHMARKS.md (on stdout) from what benches/run.sh left in OUT_DIR:
// the machine, the exact commands, the headline ratios, every table, the
// time-to-prompt chart and benches/analysis.md ("where we lose and why"),
// whose {{placeholders}} are filled with this run's numbers.
//
//   node benches/report.js OUT_DIR > BENCHMARKS.md
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.resolve(process.argv[2] || path.join(__dirname, 'out'));
const read = (f) => fs.readFileSync(path.join(OUT, f), 'utf8').trim();
const json = (f) => JSON.parse(read(f));
const sh = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8' }).trim(); } catch { return '?'; } };

const size = json('size.json');
const prompt = json('prompt.json');
const track = json('track.json');
const wire = read('wire.md');
const collector = read('collector.md');

const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || os.cpus()[0].model;
const debian = fs.existsSync('/etc/debian_version') ? `Debian ${fs.readFileSync('/etc/debian_version', 'utf8').trim()}` : os.type();
const kb = (b) => (b / 1000).toFixed(1);
const x = (v, d = 1) => `${v.toFixed(d)}×`;

const [candor, cc, klaro] = size.bundles;
const tt = (net, tool) => prompt.results[net].tools.find((t) => t.tool === tool).summary;
// "Candor" and "Candor + preload" are both Candor: peers are the others.
const fastestPeer = (net) => prompt.results[net].tools.filter((t) => !t.tool.startsWith('Candor'))
  .reduce((a, b) => (a.summary.median <= b.summary.median ? a : b));
const ttRatio = (net) => tt(net, 'Candor').median / fastestPeer(net).summary.median;
const wireRows = wire.split('\n').filter((l) => /^\| [0-9]/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
const collectorRows = collector.split('\n').filter((l) => /^\| (GET|POST)/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
const crate = (name) => (size.wasm && size.wasm.crates.find((c) => c.crate === name)) || { bytes: 0 };

const values = {
  candor_br: kb(candor.br), cc_br: kb(cc.br), klaro_br: kb(klaro.br), br_ratio_cc: x(candor.br / cc.br),
  wasm_br: kb(candor.files[1].br), js_br: kb(candor.files[0].br), wasm_raw: kb(candor.files[1].raw),
  ttp_fast: tt(0, 'Candor').median.toFixed(0), ttp_slow: tt(1, 'Candor').median.toFixed(0),
  ttp_ratio_fast: x(ttRatio(0), 2), ttp_ratio_slow: x(ttRatio(1), 2),
  ttp_peer_fast: fastestPeer(0).tool, ttp_peer_slow: fastestPeer(1).tool,
  ttp_peer_fast_ms: fastestPeer(0).summary.median.toFixed(0), ttp_peer_slow_ms: fastestPeer(1).summary.median.toFixed(0),
  // The same page plus <link rel="preload" ... candor_bg.wasm>: medians, p95s, what it saved, when the wasm request started.
  ttp_p95_fast: tt(0, 'Candor').p95.toFixed(0), ttp_p95_slow: tt(1, 'Candor').p95.toFixed(0),
  pre_fast: tt(0, 'Candor + preload').median.toFixed(0), pre_slow: tt(1, 'Candor + preload').median.toFixed(0),
  pre_p95_fast: tt(0, 'Candor + preload').p95.toFixed(0), pre_p95_slow: tt(1, 'Candor + preload').p95.toFixed(0),
  pre_saved_fast: (tt(0, 'Candor').median - tt(0, 'Candor + preload').median).toFixed(0),
  pre_saved_slow: (tt(1, 'Candor').median - tt(1, 'Candor + preload').median).toFixed(0),
  pre_ratio_slow: x(tt(1, 'Candor + preload').median / fastestPeer(1).summary.median, 2),
  wasm_start_slow: tt(1, 'Candor').wasmStartMedian.toFixed(0), pre_wasm_start_slow: tt(1, 'Candor + preload').wasmStartMedian.toFixed(0),
  track_rate: Math.round(track.rates.candor).toLocaleString('en-US'),
  track_ratio: (track.rates.candor / track.rates.map).toFixed(4), track_persist_ratio: x(track.rates.candor / track.rates.mapPersist, 2),
  track_p99: (track.latency.candor.p99 * 1000).toFixed(0),
  track_single_rate: Math.round(track.single.candor.rate).toLocaleString('en-US'),
  track_single_p99: (track.single.candor.p99 * 1000).toFixed(0),
  map_single_rate: Math.round(track.single.mapPersist.rate).toLocaleString('en-US'), map_persist_rate: Math.round(track.rates.mapPersist).toLocaleString('en-US'),
  serde_kb: kb(crate('serde_path_to_error').bytes + crate('serde_json').bytes + crate('serde_core').bytes + crate('serde').bytes),
  candor_kb: kb(crate('candor').bytes), core_kb: kb(crate('core (Rust std)').bytes + crate('alloc (Rust std)').bytes),
  data_kb: kb(crate('(data segments)').bytes),
  // Seconds the shipped wasm takes at the throttled 1.6 Mbps alone.
  wasm_secs_slow: (candor.files[1].br * 8 / 1.6e6).toFixed(2),
};
// Section 7, the busy page: each tool's script time above the page alone, ms per 5 s.
const busyFile = path.join(OUT, 'busy.md');
const busyRows = fs.existsSync(busyFile) ? fs.readFileSync(busyFile, 'utf8').split('\n').filter((l) => /^\| (Candor|vanilla|Klaro)/.test(l)) : [];
const busy = (tool) => { const r = busyRows.find((l) => l.startsWith(`| ${tool}`)); return r ? r.split('|')[3].trim() : '(not measured)'; };
values.mem_boot = (track.boot.wasm[0] / 1048576).toFixed(2);
Object.assign(values, { busy_candor: busy('Candor'), busy_cc: busy('vanilla-cookieconsent'), busy_klaro: busy('Klaro') });
// The hot-path before/after table is a one-off comparison with the build before the change (commit 51cf779),
// kept in OUT_DIR/track-ab.md; `make bench` does not rebuild the old commit.
const ab = path.join(OUT, 'track-ab.md');
values.before_after = fs.existsSync(ab) ? fs.readFileSync(ab, 'utf8').trim() : '(no before/after table: see benches/track-ab.js)';
const analysis = fs.readFileSync(path.join(__dirname, 'analysis.md'), 'utf8')
  .replace(/\{\{(\w+)\}\}/g, (m, k) => (k in values ? values[k] : m));

const md = [];
md.push('# Benchmarks');
md.push('');
md.push('Candor side by side with vanilla-cookieconsent and Klaro, on this machine, in one run of `make bench`');
md.push('(`benches/run.sh`). Numbers only: no test passes or fails on them. This file is generated; edit');
md.push('`benches/report.js` or `benches/analysis.md` instead.');
md.push('');
md.push('## Headline');
md.push('');
md.push(`- Bundle, brotli -q 11: Candor ${values.candor_br} KB, vanilla-cookieconsent ${values.cc_br} KB, Klaro ${values.klaro_br} KB ` +
  `(Candor is ${values.br_ratio_cc} cookieconsent's size; budget 35 KB).`);
md.push(`- Time to prompt, median: ${values.ttp_fast} ms unthrottled (${values.ttp_ratio_fast} the fastest peer, ${values.ttp_peer_fast}), ` +
  `${values.ttp_slow} ms on a 1.6 Mbps / 150 ms RTT network (${values.ttp_ratio_slow} ${values.ttp_peer_slow}); ` +
  `with a \`<link rel="preload">\` for the wasm ${values.pre_fast} ms and ${values.pre_slow} ms.`);
md.push(`- \`candor.track\`: ${values.track_rate} calls/s, ${values.track_ratio}× a plain JS Map counter and ${values.track_persist_ratio} ` +
  `the same counter when it also persists every event (Candor writes once per task); p99 ${values.track_p99} µs per call. ` +
  `One event per task, write included: ${values.track_single_rate} calls/s (p99 ${values.track_single_p99} µs), ` +
  `the persisting Map counter ${values.map_single_rate}.`);
if (wireRows.length) {
  const last = wireRows[wireRows.length - 1];
  md.push(`- Wire: ${last[1]} events in a 10-minute session cost ${last[2]} requests / ${last[3]} bytes, against ${last[4]} / ${last[5]} for a beacon per event.`);
}
const crow = (label) => collectorRows.find((r) => r[1].startsWith(label));
if (crow('POST /v1/reports (SQLite') && crow('POST /v1/reports (PostgreSQL')) {
  const [post, pgPost, health] = [crow('POST /v1/reports (SQLite'), crow('POST /v1/reports (PostgreSQL'), crow('GET /healthz (SQLite')];
  md.push(`- Collector ingest: ${post[2]} reports/s on SQLite (p99 ${post[4]} ms), ${pgPost[2]} on PostgreSQL ` +
    `(p99 ${pgPost[4]} ms); \`/healthz\` baseline ${health[2]} req/s.`);
  const [agg, pgAgg] = [crow('GET /v1/aggregates (SQLite'), crow('GET /v1/aggregates (PostgreSQL')];
  if (agg && pgAgg) {
    md.push(`- Collector sums (\`GET /v1/aggregates\` over every report stored above): ${agg[2]} req/s on SQLite (p99 ${agg[4]} ms), ` +
      `${pgAgg[2]} on PostgreSQL (p99 ${pgAgg[4]} ms).`);
  }
}
md.push(`- Memory: wasm linear memory ${(track.boot.wasm[0] / 1048576).toFixed(2)} MiB after boot, ` +
  `${(track.after.wasm[0] / 1048576).toFixed(2)} MiB after ${track.N.toLocaleString('en-US')} tracks` +
  (fs.existsSync(path.join(OUT, 'stack.txt')) ? `; wasm ${fs.readFileSync(path.join(OUT, 'stack.txt'), 'utf8').trim()} (\`node benches/stack.js\`, the largest valid config).` : '.'));
md.push('');
md.push('## Machine');
md.push('');
md.push('| | |');
md.push('| --- | --- |');
md.push(`| CPU | ${cpu}, ${os.cpus().length} cores (\`nproc\`: ${sh('nproc', [])}) |`);
md.push(`| memory | ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB |`);
md.push(`| system | ${debian}, ${os.type()} ${os.release()} |`);
md.push(`| browser | Chromium ${prompt.chromium} (Debian package, headless, driven by playwright-core) |`);
md.push(`| toolchain | ${sh('rustc', ['--version'])}; Node ${process.version}; ${size.wasm ? size.wasm.twiggyVersion : 'twiggy missing'} |`);
md.push(`| run | ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average before the report ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
  `whole run ${process.env.ELAPSED || '?'} s. The machine is shared: absolute times move between runs, ratios much less. |`);
md.push('');
md.push('## Commands');
md.push('');
md.push('```sh');
md.push('make bench                              # build dist/, then bash benches/run.sh: everything below, then this file');
md.push('node benches/size.js benches/out        # 1. bundle sizes and the twiggy breakdown');
md.push('RUNS=20 node benches/prompt.js benches/out   # 2. time to prompt, TBT, CLS; writes the chart');
md.push('node benches/track.js benches/out       # 3 + 6. track throughput, latency, memory');
md.push('node benches/wire.js 1000 100000        # 4. wire cost');
md.push('DURATION=10 bash benches/collector.sh   # 5. collector ingest and sums (wrk; SQLite and a throwaway PostgreSQL)');
md.push('node benches/stack.js                   # 6. the deepest the wasm stack goes (largest valid config)');
md.push('RUNS=5 node benches/busy.js             # 7. script time on a busy page, with each tool');
md.push('```');
md.push('');
md.push('Peers are the pinned npm devDependencies: vanilla-cookieconsent ' + cc.version + ' (UMD + CSS) and Klaro ' + klaro.version +
  ' (`klaro.js`, its CSS built in).');
md.push('');
md.push('## 1. Bundle size');
md.push('');
md.push('Everything a site ships for the setup of `benches/pages/` (Candor has no CSS file: its stylesheet is inside the wasm).');
md.push('');
md.push(read('size.md'));
md.push('');
md.push('## 2. Time to prompt');
md.push('');
md.push('From navigation start until the first frame in which the tool\'s banner has a non-zero box and is not hidden or');
md.push('fully transparent has been painted (`benches/prompt.js` explains the probe). Pages: `benches/pages/*.html`, the same text and three');
md.push('purposes (necessary + two optional) for each tool, config inline or in a same-origin file, served brotli-compressed');
md.push('by one local server (`benches/serve.js`). TBT = sum of (long task − 50 ms) until the prompt is visible and `load` has');
md.push('fired; CLS = sum of layout shifts over the same span. "Candor + preload" is `candor.html` plus one line in the head,');
md.push('`<link rel="preload" href="/candor/candor_bg.wasm" as="fetch" crossorigin>` (`benches/pages/candor-preload.html`); in');
md.push('every Candor run the bench checks that `candor_bg.wasm` was requested exactly once (the preload was used, not doubled).');
md.push('');
md.push('![Time to prompt per tool, unthrottled and throttled](benches/out/time-to-prompt.svg)');
md.push('');
md.push(read('prompt.md'));
md.push('');
md.push('## 3. Event throughput');
md.push('');
md.push('`candor.track(\'page_view\', {path, load_ms})` (one category and one histogram field, consent granted) against a');
md.push('plain-JavaScript counter doing the same declared-event lookup, consent check and tallies in a `Map`, in the same page.');
md.push('');
md.push(read('track.md').split('\nMemory')[0].trim());
md.push('');
md.push('## 4. Wire cost');
md.push('');
md.push('Bytes (request headers + body, as Chromium counts them) and requests for N events spread over a simulated 10-minute');
md.push('session (ten 60-second windows), against a design that POSTs one JSON beacon per event (`benches/wire.js`).');
md.push('');
md.push(wire);
md.push('');
md.push('## 5. Collector');
md.push('');
md.push(collector);
md.push('');
md.push('## 6. Memory');
md.push('');
md.push('Memory' + read('track.md').split('\nMemory')[1]);
if (fs.existsSync(path.join(OUT, 'busy.md'))) {
  md.push('');
  md.push('## 7. A busy page');
  md.push('');
  md.push('Not asked for by the issue, measured because Candor watches the page for gated elements: `node benches/busy.js`.');
  md.push('');
  md.push(fs.readFileSync(path.join(OUT, 'busy.md'), 'utf8'));
}
md.push('');
md.push(analysis.trim());
console.log(md.join('\n'));
