// Bundle size: what a site ships for a typical setup, raw, `gzip -9` and
// `brotli -q 11` (the Debian command-line tools, so the numbers match what a
// server's precompression step would produce), plus a breakdown of Candor's
// wasm by crate and by function with twiggy.
//
//   node benches/size.js OUT_DIR        (writes OUT_DIR/size.json and OUT_DIR/size.md)
//
// The wasm breakdown runs twiggy on a copy of the shipped module optimised
// with the very same wasm-opt flags as scripts/build.sh but keeping the
// "name" section (no --strip-debug), so function sizes are those we ship.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.resolve(process.argv[2] || path.join(__dirname, 'out'));
const TOOLS = process.env.CANDOR_TOOLS || path.join(process.env.HOME, '.cache/candor-tools');
const nm = (p) => path.join(ROOT, 'node_modules', p);
const pkgVersion = (name) => JSON.parse(fs.readFileSync(nm(`${name}/package.json`), 'utf8')).version;

const TOOLS_SHIPPED = [
  { tool: 'Candor', version: JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version || '0.1.0',
    files: [path.join(ROOT, 'dist/candor.js'), path.join(ROOT, 'dist/candor_bg.wasm')] },
  { tool: 'vanilla-cookieconsent', version: pkgVersion('vanilla-cookieconsent'),
    files: [nm('vanilla-cookieconsent/dist/cookieconsent.umd.js'), nm('vanilla-cookieconsent/dist/cookieconsent.css')] },
  { tool: 'Klaro', version: pkgVersion('klaro'), files: [nm('klaro/dist/klaro.js')] },
];

function sizes(file) {
  const raw = fs.statSync(file).size;
  const gzip = execFileSync('gzip', ['-9', '-c', file], { maxBuffer: 64 << 20 }).length;
  const br = execFileSync('brotli', ['-q', '11', '-c', file], { maxBuffer: 64 << 20 }).length;
  return { raw, gzip, br };
}

const kb = (b) => (b / 1000).toFixed(1);

// The crate a (demangled) function name belongs to: for `<A as B>::f` the
// crate of A, for a generic instantiation the outermost path, for
// wasm-bindgen's imports/exports and unnamed items a bucket of their own.
function crateOf(name) {
  let n = name.trim();
  if (/^(data\[|data segment)/.test(n)) return '(data segments)';
  if (/^import /.test(n) || /__wbg_|__wbindgen|wasm_bindgen|^__externref/.test(n)) return 'wasm-bindgen';
  // wasm-bindgen's export shims, into which wasm-opt inlined our exported
  // functions (`boot` holds most of App::start: config, texts, prompt).
  if (/ shim$/.test(n)) return 'candor exports (shims with inlined bodies)';
  if (/^(code|elem|table|type|global|export|"|custom section|name|table|memory)/.test(n)) return '(wasm sections)';
  n = n.replace(/^(<|&|mut |dyn |\[|\()+/g, '');
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::/.exec(n);
  if (!m) return '(unnamed)';
  const c = m[1];
  if (['core', 'alloc', 'std', 'dlmalloc', 'compiler_builtins'].includes(c)) return `${c} (Rust std)`;
  return c;
}

// The name section itself (kept only for this breakdown, stripped when shipped).
const NAMES = /names" subsection|custom section 'name'/;

function twiggy(args) {
  return execFileSync(path.join(TOOLS, 'bin/twiggy'), args, { encoding: 'utf8', maxBuffer: 256 << 20 });
}

function breakdown() {
  const pre = path.join(ROOT, 'target/bindgen/candor_bg.wasm');
  if (!fs.existsSync(path.join(TOOLS, 'bin/twiggy')) || !fs.existsSync(pre)) return null;
  const named = path.join(ROOT, 'target/bench/candor_named.wasm');
  fs.mkdirSync(path.dirname(named), { recursive: true });
  // scripts/build.sh's own wasm-opt flags (read from it, so the two cannot
  // drift apart), keeping the names (-g) instead of stripping them.
  const build = fs.readFileSync(path.join(ROOT, 'scripts/build.sh'), 'utf8').replace(/\\\n/g, ' ');
  const flags = /node_modules\/\.bin\/wasm-opt (.*?) "\$OUT\/candor_bg\.wasm"/.exec(build)[1].split(/\s+/)
    .filter((f) => f && f !== '--strip-debug');
  execFileSync(nm('.bin/wasm-opt'), [...flags, '-g', pre, '-o', named]);
  const rows = JSON.parse(twiggy(['top', '-n', '100000', '-f', 'json', named]));
  const nameSection = rows.filter((r) => NAMES.test(r.name)).reduce((s, r) => s + r.shallow_size, 0);
  const shipped = fs.statSync(path.join(ROOT, 'dist/candor_bg.wasm')).size;
  const byCrate = new Map();
  for (const r of rows) {
    if (NAMES.test(r.name)) continue;
    const c = crateOf(r.name);
    const e = byCrate.get(c) || { crate: c, bytes: 0, items: 0 };
    e.bytes += r.shallow_size;
    e.items += 1;
    byCrate.set(c, e);
  }
  const crates = [...byCrate.values()].sort((a, b) => b.bytes - a.bytes);
  const top = rows.filter((r) => !NAMES.test(r.name)).slice(0, 25)
    .map((r) => ({ name: r.name, bytes: r.shallow_size, percent: r.shallow_size_percent }));
  // Retained sizes: what would go away with the item (twiggy dominators).
  const dom = twiggy(['dominators', '-d', '4', '-r', '40', named]);
  fs.writeFileSync(path.join(OUT, 'twiggy-top.txt'), twiggy(['top', '-n', '60', named]));
  fs.writeFileSync(path.join(OUT, 'twiggy-dominators.txt'), dom);
  const total = rows.reduce((s, r) => s + r.shallow_size, 0) - nameSection;
  return { total, shipped, crates, top, dominators: dom, twiggyVersion: twiggy(['--version']).trim() };
}

function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const bundles = TOOLS_SHIPPED.map((t) => {
    const files = t.files.map((f) => ({ file: path.relative(ROOT, f), ...sizes(f) }));
    const sum = (k) => files.reduce((s, f) => s + f[k], 0);
    return { tool: t.tool, version: t.version, files, raw: sum('raw'), gzip: sum('gzip'), br: sum('br') };
  });
  const wasm = breakdown();
  fs.writeFileSync(path.join(OUT, 'size.json'), JSON.stringify({ bundles, wasm }, null, 2));

  const md = [];
  md.push('| tool | files | raw KB | gzip -9 KB | brotli -q 11 KB | brotli vs Candor |');
  md.push('| --- | --- | ---: | ---: | ---: | ---: |');
  const candor = bundles[0];
  for (const b of bundles) {
    md.push(`| ${b.tool} ${b.version} | ${b.files.map((f) => `\`${f.file.replace(/^node_modules\//, '')}\``).join(' + ')} | ` +
      `${kb(b.raw)} | ${kb(b.gzip)} | ${kb(b.br)} | ${(b.br / candor.br).toFixed(2)}× |`);
  }
  md.push('');
  md.push('Candor per file:');
  md.push('');
  md.push('| file | raw KB | gzip -9 KB | brotli -q 11 KB |');
  md.push('| --- | ---: | ---: | ---: |');
  for (const f of candor.files) md.push(`| \`${f.file}\` | ${kb(f.raw)} | ${kb(f.gzip)} | ${kb(f.br)} |`);
  md.push('');
  md.push(`Budget: under 35 KB brotli (now ${kb(candor.br)} KB: ${candor.br < 35000 ? 'within' : '**over**'}); ` +
    `target: below vanilla-cookieconsent (${kb(bundles[1].br)} KB).`);
  if (wasm) {
    md.push('');
    md.push(`### Candor's wasm by crate (${wasm.twiggyVersion})`);
    md.push('');
    md.push(`Code and data of the shipped module (${kb(wasm.total)} KB measured with names kept; shipped file ` +
      `${kb(wasm.shipped)} KB), grouped by the crate prefix of each function's demangled name ` +
      '(`<A as B>::f` counts for A\'s crate; generic code instantiated for our types counts for the generic\'s crate).');
    md.push('');
    md.push('| crate | bytes | share | items |');
    md.push('| --- | ---: | ---: | ---: |');
    for (const c of wasm.crates.slice(0, 16)) {
      md.push(`| ${c.crate} | ${c.bytes} | ${(100 * c.bytes / wasm.total).toFixed(1)} % | ${c.items} |`);
    }
    md.push('');
    md.push('### Largest functions and data (twiggy top)');
    md.push('');
    md.push('| item | bytes | share |');
    md.push('| --- | ---: | ---: |');
    for (const t of wasm.top) {
      const name = t.name.length > 110 ? t.name.slice(0, 107) + '…' : t.name;
      md.push(`| \`${name.replace(/\|/g, '\\|').replace(/`/g, "'")}\` | ${t.bytes} | ${t.percent.toFixed(2)} % |`);
    }
    md.push('');
    md.push('Full listings: `benches/out/twiggy-top.txt`, `benches/out/twiggy-dominators.txt` (retained sizes).');
  }
  fs.writeFileSync(path.join(OUT, 'size.md'), md.join('\n') + '\n');
  console.log(md.join('\n'));
}

main();
