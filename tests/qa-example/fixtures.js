// The example suite's test object: the kit's fixture, pointed at the site.
// (A project that installed the npm package writes require('candor/testing').)
'use strict';
const kit = require('../../src/js/testing');

// The collector's address is known once globalSetup ran (CANDOR_QA_URL).
const test = kit.test.extend({
  baseURL: async ({}, use) => use(`${process.env.CANDOR_QA_URL}/qa-example/`),
});
const { expect } = kit;

module.exports = { test, expect, kit };
