'use strict';
// Command-line pieces the benches share.
const path = require('node:path');
const { CONFIGS } = require('./agent-configs');

/** `flag('name')`: the value after `--name` in argv, or undefined. */
function flagReader(argv) {
  return (name) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
}

/**
 * `--agents name=file@config,…`: other agent builds (an older commit's, an experiment), each run
 * with one of CONFIGS beside the bench's own variants, so before and after are measured together.
 */
function agentVariants(text) {
  return Object.fromEntries((text ?? '').split(',').filter(Boolean).map((p) => {
    const m = /^([^=]+)=(.+)@([^@]+)$/.exec(p);
    if (!m || !CONFIGS[m[3]]) throw new Error(`--agents takes name=file@config with a known config, not "${p}".`);
    return [m[1], { file: path.resolve(m[2]), options: CONFIGS[m[3]] }];
  }));
}

/**
 * `--preloads name=file,…`: app variants with `--require file` and no agent, to try one of a
 * probe's mechanisms apart from the rest (a subscriber alone, a property write, …).
 */
function preloadVariants(text) {
  return Object.fromEntries((text ?? '').split(',').filter(Boolean).map((p) => {
    const at = p.indexOf('=');
    return [p.slice(0, at), path.resolve(p.slice(at + 1))];
  }));
}

module.exports = { flagReader, agentVariants, preloadVariants };
