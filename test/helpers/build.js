// The one place tests find the build they exercise: dist/ by default, or the folder named by
// PERF_LENS_DIST (a scratch build while developing). Every test and helper loads through here.
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const DIST = path.resolve(process.env.PERF_LENS_DIST || path.join(ROOT, 'dist'));

module.exports = {
  ROOT,
  DIST,
  CORE: path.join(DIST, 'core.js'),
  CLI: path.join(DIST, 'cli.js'),
  AGENT: path.join(DIST, 'agent.js'),
  /** dist/core.js, loaded once */
  loadCore: () => require(path.join(DIST, 'core.js')),
};
