// One collector for the whole example suite; its address reaches the workers
// through the environment (CANDOR_QA_URL).
'use strict';
const { start } = require('./server');

module.exports = async function globalSetup() {
  const server = await start();
  process.env.CANDOR_QA_URL = server.url;
  return () => server.stop();
};
