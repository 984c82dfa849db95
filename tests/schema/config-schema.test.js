// The config JSON Schema and the Rust validator judge the same fixtures
// (tests/fixtures/config): valid → both accept; invalid → both reject;
// sdk-only → the schema accepts (it cannot express the rule), the SDK rejects.
// The Rust side is tests/config_fixtures.rs.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Ajv2020 = require('ajv/dist/2020');

const ROOT = path.resolve(__dirname, '../..');
const DIR = path.join(ROOT, 'tests/fixtures/config');
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'pkg-config/candor.config.schema.json'), 'utf8'));
const validate = ajv.compile(schema);
const files = (folder) => fs.readdirSync(path.join(DIR, folder)).filter((f) => f.endsWith('.json'));
const load = (folder, f) => JSON.parse(fs.readFileSync(path.join(DIR, folder, f), 'utf8'));

test('the schema compiles in strict mode, and so does the report schema', () => {
  assert.equal(typeof validate, 'function');
  ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'pkg-config/report.schema.json'), 'utf8')));
});

for (const [folder, accept] of [['valid', true], ['invalid', false], ['sdk-only', true]]) {
  test(`schema on ${folder}/ fixtures: ${accept ? 'accepts' : 'rejects'} all`, () => {
    const list = files(folder);
    assert.ok(list.length >= 7, `${folder} has fixtures`);
    for (const f of list) {
      const ok = validate(load(folder, f));
      assert.equal(ok, accept, `${folder}/${f}: ${JSON.stringify(validate.errors)}`);
    }
  });
}

test('every invalid and sdk-only fixture names the path its error must start with', () => {
  const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected-errors.json'), 'utf8'));
  for (const folder of ['invalid', 'sdk-only']) {
    for (const f of files(folder)) assert.ok(expected[`${folder}/${f}`], `${folder}/${f} has an expected error path`);
  }
});
