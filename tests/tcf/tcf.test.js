// The outside judge of our TC strings: IAB Tech Lab's own decoder.
//
// `examples/tcf_vectors.rs` prints generated cases (raw random fields, and
// random config mappings + decisions through the real `tcf::from_consent`);
// every string is decoded with `@iabtechlabtcf/core` and every field compared
// with what we meant to encode. Strings the library itself encodes, and one
// from the library's test suite, go the other way: decode theirs, encode the
// same fields with ours, compare. The last line printed is the count.
// TCF_CASES (default 2000) and TCF_SEED (default 20261123) change the run.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { TCString, TCModel, GVL } = require('@iabtechlabtcf/core');

const ROOT = path.resolve(__dirname, '../..');
const CASES = Number(process.env.TCF_CASES || 2000);
const SEED = Number(process.env.TCF_SEED || 20261123);
// The counts, printed last when the file is run directly (as make test does),
// the generated-case count on the very last line.
const summary = [];
process.on('exit', () => { for (const line of summary) console.log(line); });

function vectors(args, input) {
  const out = execFileSync('cargo', ['run', '-q', '--example', 'tcf_vectors', '--', ...args],
    { cwd: ROOT, input, maxBuffer: 1 << 28, encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const ids = (vector) => {
  const out = [];
  vector.forEach((on, id) => { if (on) out.push(id); });
  return out;
};

/** Segment types present after the core segment (1 disclosed, 2 allowed, 3 publisher). */
const segmentTypes = (s) => s.split('.').slice(1)
  .map((seg) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(seg[0]) >> 3);

/** A decoded model as our TcFields (the shape examples/tcf_vectors.rs reads). */
function fieldsOf(model, tcString) {
  const types = segmentTypes(tcString);
  return {
    created: Math.round(model.created.getTime() / 100),
    last_updated: Math.round(model.lastUpdated.getTime() / 100),
    cmp_id: model.cmpId,
    cmp_version: model.cmpVersion,
    consent_screen: model.consentScreen,
    consent_language: model.consentLanguage,
    vendor_list_version: model.vendorListVersion,
    policy_version: model.policyVersion,
    is_service_specific: model.isServiceSpecific,
    use_non_standard_texts: model.useNonStandardTexts,
    special_feature_optins: ids(model.specialFeatureOptins),
    purpose_consents: ids(model.purposeConsents),
    purpose_legitimate_interests: ids(model.purposeLegitimateInterests),
    purpose_one_treatment: model.purposeOneTreatment,
    publisher_cc: model.publisherCountryCode,
    vendor_consents: ids(model.vendorConsents),
    vendor_legitimate_interests: ids(model.vendorLegitimateInterests),
    disclosed_vendors: types.includes(1) ? ids(model.vendorsDisclosed) : null,
    publisher: types.includes(3) ? {
      consents: ids(model.publisherConsents),
      legitimate_interests: ids(model.publisherLegitimateInterests),
      num_custom: model.numCustomPurposes,
      custom_consents: ids(model.publisherCustomConsents),
      custom_legitimate_interests: ids(model.publisherCustomLegitimateInterests),
    } : null,
  };
}

/** JSON with object keys sorted, so key order never counts as a difference. */
const canonical = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x));

/** Field names whose decoded value differs from what we meant. */
function diff(meant, decoded) {
  const names = new Set([...Object.keys(meant), ...Object.keys(decoded)]);
  return [...names].filter((k) => canonical(meant[k]) !== canonical(decoded[k]));
}

test(`${CASES} generated TC strings decode, field for field, to what we encoded`, () => {
  const cases = vectors(['gen', String(CASES), String(SEED)]);
  assert.equal(cases.length, CASES);
  let mismatches = 0;
  let mapped = 0;
  const first = [];
  for (const c of cases) {
    let problems;
    try {
      const model = TCString.decode(c.tc_string);
      problems = diff(c.input, fieldsOf(model, c.tc_string));
      if (model.version !== 2) problems.push('version');
      if (model.publisherRestrictions.numRestrictions !== 0) problems.push('publisher_restrictions');
      if (c.choice) {
        // The mapping rule, checked from outside: a TCF purpose is consented
        // exactly when all the Candor purposes it maps to were granted.
        mapped += 1;
        const want = Object.entries(c.choice.purposes_map)
          .filter(([, list]) => list.every((id) => c.choice.granted.includes(id)))
          .map(([k]) => Number(k)).sort((a, b) => a - b);
        if (JSON.stringify(ids(model.purposeConsents)) !== JSON.stringify(want)) problems.push('mapping rule');
        // Vendors: only when a consented TCF purpose rests on a purpose the
        // visitor chose (not only on required ones).
        const chose = want.some((k) => c.choice.purposes_map[k].some((id) => !c.choice.required.includes(id)));
        const vendors = chose ? c.choice.vendors : [];
        if (JSON.stringify(ids(model.vendorConsents)) !== JSON.stringify(vendors)) problems.push('vendor rule');
        const day = Math.floor(c.choice.updated_at / 86400) * 86400 * 1000;
        if (model.created.getTime() !== day || model.lastUpdated.getTime() !== day) problems.push('day granularity');
      }
    } catch (e) {
      problems = [`decode threw: ${e.message}`];
    }
    if (problems.length) {
      mismatches += 1;
      if (first.length < 5) first.push({ tc_string: c.tc_string, problems });
    }
  }
  summary.push(`tcf: ${CASES} generated TC strings (${mapped} through config mappings) checked against @iabtechlabtcf/core: ${mismatches} mismatches`);
  assert.equal(mismatches, 0, JSON.stringify(first, null, 1));
  assert.ok(mapped >= CASES / 2 - 1);
});

/** A small vendor list the library accepts, so it will encode. */
function gvl(version, policy, vendorIds) {
  const all = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const purposes = Object.fromEntries(all.map((id) => [id, { id, name: `Purpose ${id}`, description: '' }]));
  const vendors = Object.fromEntries(vendorIds.map((id) => [id, { id, name: `Vendor ${id}`, purposes: all,
    legIntPurposes: [], flexiblePurposes: [], specialPurposes: [], features: [], specialFeatures: [1, 2] }]));
  return new GVL({ gvlSpecificationVersion: 3, vendorListVersion: version, tcfPolicyVersion: policy,
    lastUpdated: '2026-01-01T00:00:00Z', purposes, specialPurposes: {}, features: {},
    specialFeatures: { 1: { id: 1, name: 'a' }, 2: { id: 2, name: 'b' } }, vendors, stacks: {}, dataCategories: {} });
}

test("the library's own strings: ours re-encode their fields to strings that decode the same", () => {
  let rnd = SEED;
  const next = (n) => { rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd % n; };
  const strings = [];
  for (let i = 0; i < 200; i++) {
    const vendorIds = [...new Set(Array.from({ length: 1 + next(40) }, () => 1 + next(i % 2 ? 3000 : 60)))];
    const m = new TCModel(gvl(1 + next(4000), 4 + next(2), vendorIds));
    m.cmpId = 2 + next(4000);
    m.cmpVersion = next(4096);
    m.consentScreen = next(64);
    m.consentLanguage = ['EN', 'DE', 'FR', 'PL'][next(4)];
    m.publisherCountryCode = ['DE', 'FR', 'AA'][next(3)];
    m.isServiceSpecific = next(2) === 1;
    m.purposeConsents.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].filter(() => next(2)));
    m.vendorConsents.set(vendorIds.filter(() => next(3)));
    if (next(2)) m.specialFeatureOptins.set([1]);
    strings.push(TCString.encode(m));
  }
  const models = strings.map((s) => TCString.decode(s));
  const lines = models.map((m, i) => JSON.stringify(fieldsOf(m, strings[i]))).join('\n');
  const ours = vectors(['encode'], lines);
  assert.equal(ours.length, strings.length);
  // Both must carry the same fields. The bytes may differ: the spec lets an
  // encoder pick bit field or ranges for vendors, and the library's choice
  // follows its own running estimate while ours takes the shorter one.
  let mismatches = 0;
  let identical = 0;
  const first = [];
  ours.forEach((o, i) => {
    const problems = o.error ? [o.error] : diff(fieldsOf(models[i], strings[i]), fieldsOf(TCString.decode(o.tc_string), o.tc_string));
    if (problems.length) {
      mismatches += 1;
      if (first.length < 5) first.push({ library: strings[i], ours: o.tc_string, problems });
    }
    if (o.tc_string === strings[i]) identical += 1;
    else if (o.tc_string && o.tc_string.length > strings[i].length) {
      mismatches += 1;
      if (first.length < 5) first.push({ library: strings[i], ours: o.tc_string, problems: ['ours is longer'] });
    }
  });
  assert.equal(mismatches, 0, JSON.stringify(first, null, 1));
  // From the library's test suite (v2.0, core + disclosed + allowed vendors;
  // we do not write the allowed-vendors segment, dropped in v2.2).
  const theirs = 'COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAAACAAAABAAA.IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQAgAIAwgA';
  const fields = fieldsOf(TCString.decode(theirs), theirs);
  const [again] = vectors(['encode'], JSON.stringify(fields));
  assert.deepEqual(diff(fields, fieldsOf(TCString.decode(again.tc_string), again.tc_string)), []);
  summary.unshift(`tcf: ${strings.length + 1} library strings re-encoded by ours: 0 mismatches (${identical} of ${strings.length} byte-identical)`);
});
