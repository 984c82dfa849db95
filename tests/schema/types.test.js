// The TypeScript config type (src/js/candor.d.ts) and the JSON Schema name the
// same keys, and every config fixture the SDK accepts type-checks as
// CandorConfig. So a key added to the validator and the schema (the house rule)
// fails here until the types have it too.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');

const ROOT = path.resolve(__dirname, '../..');
const DTS = path.join(ROOT, 'src/js/candor.d.ts');
const FIXTURES = path.join(ROOT, 'tests/fixtures/config');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'pkg-config/candor.config.schema.json'), 'utf8'));
const OPTIONS = {
  strict: true, exactOptionalPropertyTypes: true, noEmit: true, types: [], lib: ['lib.es2020.d.ts', 'lib.dom.d.ts'],
  target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
};

function exported() {
  const program = ts.createProgram([DTS], OPTIONS);
  const checker = program.getTypeChecker();
  const symbols = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(DTS)));
  const type = (name) => {
    const s = symbols.find((x) => x.name === name);
    assert.ok(s, `candor.d.ts exports ${name}`);
    return checker.getDeclaredTypeOfSymbol(s);
  };
  const keys = (name) => checker.getPropertiesOfType(type(name)).map((p) => p.name).sort();
  const literals = (name) => {
    const t = type(name);
    return (t.isUnion() ? t.types : [t]).map((u) => u.value).sort();
  };
  return { keys, literals };
}

test('candor.d.ts and the config schema name the same keys', () => {
  const { keys, literals } = exported();
  const p = schema.properties;
  const object = (oneOf) => oneOf.find((s) => s.type === 'object');
  const sorted = (o) => Object.keys(o).sort();
  assert.deepEqual(keys('CandorConfig'), sorted(p));
  assert.deepEqual(keys('PurposeConfig'), sorted(p.purposes.items.properties));
  assert.deepEqual(keys('EventConfig'), sorted(p.events.additionalProperties.properties));
  assert.deepEqual(keys('AggregationConfig'), sorted(p.aggregation.properties));
  assert.deepEqual(keys('NoiseConfig'), sorted(object(p.aggregation.properties.noise.oneOf).properties));
  assert.deepEqual(keys('VendorConfig'), sorted(p.vendors.items.properties));
  assert.deepEqual(keys('CookieConfig'), sorted(object(p.cookie.oneOf).properties));
  assert.deepEqual(literals('TextId'), [...p.texts.propertyNames.enum].sort());
  const fields = p.events.additionalProperties.properties.fields.additionalProperties.oneOf;
  assert.deepEqual(literals('FieldKind'), fields.map((f) => f.properties.kind.const).sort());
  for (const f of fields) {
    const name = { category: 'CategoryField', histogram: 'HistogramField', sum: 'SumField', count: 'CountField' }[f.properties.kind.const];
    assert.deepEqual(keys(name), sorted(f.properties), name);
  }
});

test('every config fixture the SDK accepts type-checks as CandorConfig', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-types-'));
  const file = path.join(dir, 'fixtures.ts');
  const lines = [`import type { CandorConfig } from ${JSON.stringify(DTS.replace(/\.d\.ts$/, ''))};`];
  for (const folder of ['valid', 'sdk-only']) {
    for (const f of fs.readdirSync(path.join(FIXTURES, folder)).filter((x) => x.endsWith('.json')).sort()) {
      lines.push(`// ${folder}/${f}`);
      lines.push(`export const c${lines.length}: CandorConfig = ${fs.readFileSync(path.join(FIXTURES, folder, f), 'utf8').trim()};`);
    }
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const diagnostics = ts.getPreEmitDiagnostics(ts.createProgram([file], OPTIONS)).map((d) => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  assert.ok(lines.length > 20, 'fixtures were found');
  assert.deepEqual(diagnostics, []);
  fs.rmSync(dir, { recursive: true });
});
