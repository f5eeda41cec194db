'use strict';
// The `perf-lens` argument parser (src/cli/args.ts, bundled here on its own with esbuild since
// dist/ holds it only inside cli.js), plus what a user sees from `node dist/cli.js`: exit code
// 2 and one sentence on stderr.
const { ROOT, CLI } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const Module = require('node:module');
const { spawnSync } = require('node:child_process');

const CWD = '/home/dev/shop';
let parseArgs;
let FINDING_KINDS;

test.before(() => {
  const out = require('esbuild').buildSync({
    entryPoints: [path.join(ROOT, 'src', 'cli', 'args.ts')],
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent',
  });
  const file = path.join(ROOT, 'src', 'cli', 'args.bundled.js'); // a name only, never written
  const m = new Module(file);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(out.outputFiles[0].text, file);
  ({ parseArgs, FINDING_KINDS } = m.exports);
});

/** The error parseArgs throws, asserted to be a UsageError in one sentence. */
function usageError(argv) {
  let error;
  try {
    parseArgs(argv, CWD);
  } catch (err) {
    error = err;
  }
  assert.ok(error, `no error for ${JSON.stringify(argv)}`);
  assert.equal(error.constructor.name, 'UsageError', `${error.stack}`);
  assertOneSentence(error.message);
  return error.message;
}

function assertOneSentence(text) {
  assert.match(text, /^[^\n]+\.$/, `one line ending with a period: ${JSON.stringify(text)}`);
  assert.doesNotMatch(text, /[.!?]\s+[A-Z]/, `a single sentence: ${JSON.stringify(text)}`);
}

const run = (...rest) => parseArgs(['run', ...rest], CWD);

test('help and version', () => {
  for (const argv of [[], ['help'], ['--help'], ['-h'], ['run', '--help'], ['analyze', 'x', '-h']]) {
    assert.deepEqual(parseArgs(argv, CWD), { kind: 'help' }, JSON.stringify(argv));
  }
  for (const argv of [['--version'], ['-v'], ['version']]) assert.deepEqual(parseArgs(argv, CWD), { kind: 'version' });
});

test('run with only a command gets the defaults', () => {
  assert.deepEqual(run('--', 'node', 'app.js', '--port', '3000'), {
    kind: 'run',
    options: { command: ['node', 'app.js', '--port', '3000'], root: CWD, failOn: [], detectors: {}, rounds: 1 },
  });
});

test('run: every option, as "--opt value" and as "--opt=value"', () => {
  const spaced = run(
    '--json', 'out/report.json', '--sarif', 'r.sarif', '--record', 'rec.ndjson', '--load', 'npx autocannon -d 2 $PERF_LENS_URL_BASE',
    '--rounds', '3', '--duration', '2.5', '--root', 'packages/api', '--fail-on', 'n-plus-one, leak',
    '--n-plus-one-min', '4', '--slow-query-ms', '12.5', '--duplicate-min', '2', '--', 'npm', 'start',
  );
  const want = {
    kind: 'run',
    options: {
      command: ['npm', 'start'], root: `${CWD}/packages/api`, failOn: ['n-plus-one', 'leak'],
      detectors: { nPlusOneMinCount: 4, slowQueryMs: 12.5, duplicateMinCount: 2 }, rounds: 3,
      json: 'out/report.json', sarif: 'r.sarif', record: 'rec.ndjson', load: 'npx autocannon -d 2 $PERF_LENS_URL_BASE', durationS: 2.5,
    },
  };
  assert.deepEqual(spaced, want);
  const joined = run(
    '--json=out/report.json', '--sarif=r.sarif', '--record=rec.ndjson', '--load=npx autocannon -d 2 $PERF_LENS_URL_BASE',
    '--rounds=3', '--duration=2.5', '--root=packages/api', '--fail-on=n-plus-one, leak',
    '--n-plus-one-min=4', '--slow-query-ms=12.5', '--duplicate-min=2', '--', 'npm', 'start',
  );
  assert.deepEqual(joined, want);
  // a value may itself hold '=' and start with a single dash
  assert.equal(run('--load=curl "$U?a=b"', '--', 'node', 'a').options.load, 'curl "$U?a=b"');
  assert.equal(run('--load', '-', '--', 'node', 'a').options.load, '-');
});

test('the root is resolved against the cwd; an absolute root is kept', () => {
  assert.equal(run('--root', '/srv/x', '--', 'node', 'a').options.root, '/srv/x');
  assert.equal(run('--root', '..', '--', 'node', 'a').options.root, '/home/dev');
});

test('the command after "--" is taken verbatim, options and all', () => {
  assert.deepEqual(run('--', 'node', '--json', 'x', '--', '--rounds').options.command, ['node', '--json', 'x', '--', '--rounds']);
});

test('a later option overrides an earlier one', () => {
  assert.equal(run('--json', 'a.json', '--json=b.json', '--', 'node', 'a').options.json, 'b.json');
});

test('every finding kind is accepted by --fail-on', () => {
  assert.deepEqual(run('--fail-on', FINDING_KINDS.join(','), '--', 'node', 'a').options.failOn, FINDING_KINDS);
  for (const k of ['n-plus-one', 'slow-query', 'duplicate-query', 'leak', 'heap-growth', 'gc-pressure', 'event-loop-block']) {
    assert.ok(FINDING_KINDS.includes(k), `${k} is a contract kind`);
  }
});

test('analyze: one recording, resolved against the cwd, with output and detector options', () => {
  assert.deepEqual(parseArgs(['analyze', 'rec.ndjson', '--json', 'r.json', '--sarif=s.sarif', '--fail-on', 'leak', '--slow-query-ms', '5'], CWD), {
    kind: 'analyze',
    options: {
      recording: `${CWD}/rec.ndjson`, root: CWD, failOn: ['leak'], detectors: { slowQueryMs: 5 }, json: 'r.json', sarif: 's.sarif',
    },
  });
  assert.equal(parseArgs(['analyze', '--root', '/r', '/abs/rec.ndjson'], CWD).options.recording, '/abs/rec.ndjson');
});

test('a positional argument named like an Object.prototype key is a plain argument', () => {
  for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
    assert.equal(parseArgs(['analyze', name], CWD).options.recording, `${CWD}/${name}`);
    assert.equal(usageError(['run', name, '--', 'node']), `Unexpected argument "${name}"; put the app's command after "--".`);
  }
});

test('usage errors: each is one sentence that says what to change', () => {
  const cases = [
    [['start'], 'Unknown command "start"; use "run", "analyze" or "snapshot-diff".'],
    [['run', '--verbose', '--', 'node', 'a'], 'Unknown option "--verbose"; see "perf-lens --help".'],
    [['run', '--verbose=1', '--', 'node', 'a'], 'Unknown option "--verbose"; see "perf-lens --help".'],
    [['run', '-x', '--', 'node', 'a'], 'Unknown option "-x"; see "perf-lens --help".'],
    [['run', '--json'], 'The option --json needs a value.'],
    [['run', '--json', '--sarif', 'x', '--', 'node'], 'The option --json needs a value.'],
    [['run', '--json', '--', 'node', 'app.js'], 'The option --json needs a value.'],
    [['run', '--json=', '--', 'node', 'app.js'], 'The option --json needs a value.'],
    [['run', '--load', '--', 'node'], 'The option --load needs a value.'],
    [['run', '--fail-on', 'leak,n+1', '--', 'node'], `Unknown finding kind "n+1" in --fail-on; known kinds: ${FINDING_KINDS.join(', ')}.`],
    [['run', '--fail-on=memory-leak', '--', 'node'], `Unknown finding kind "memory-leak" in --fail-on; known kinds: ${FINDING_KINDS.join(', ')}.`],
    [['run', '--rounds', '3', '--', 'node', 'a'], 'The option --rounds needs --load.'],
    [['run', '--rounds', 'three', '--load', 'x', '--', 'node'], 'The option --rounds needs a positive whole number, not "three".'],
    [['run', '--rounds', '2.5', '--load', 'x', '--', 'node'], 'The option --rounds needs a positive whole number, not "2.5".'],
    [['run', '--rounds', '0', '--load', 'x', '--', 'node'], 'The option --rounds needs a positive whole number, not "0".'],
    [['run', '--rounds', '-3', '--load', 'x', '--', 'node'], 'The option --rounds needs a positive whole number, not "-3".'],
    [['run', '--rounds=', '--load', 'x', '--', 'node'], 'The option --rounds needs a value.'],
    [['run', '--duration', '-1', '--', 'node'], 'The option --duration needs a positive number, not "-1".'],
    [['run', '--duration', 'Infinity', '--', 'node'], 'The option --duration needs a positive number, not "Infinity".'],
    [['run', '--duration', '1e999', '--', 'node'], 'The option --duration needs a positive number, not "1e999".'],
    [['run', '--duration', 'NaN', '--', 'node'], 'The option --duration needs a positive number, not "NaN".'],
    [['run', '--duration', '5s', '--', 'node'], 'The option --duration needs a positive number, not "5s".'],
    [['run', '--n-plus-one-min', '2.5', '--', 'node'], 'The option --n-plus-one-min needs a positive whole number, not "2.5".'],
    [['run', '--duplicate-min', 'x', '--', 'node'], 'The option --duplicate-min needs a positive whole number, not "x".'],
    [['run', '--slow-query-ms', '-5', '--', 'node'], 'The option --slow-query-ms needs a positive number, not "-5".'],
    [['run', '--slow-query-ms'], 'The option --slow-query-ms needs a value.'],
    [['run'], 'run needs the command to profile after "--", for example: perf-lens run -- node app.js.'],
    [['run', '--json', 'r.json', '--'], 'run needs the command to profile after "--", for example: perf-lens run -- node app.js.'],
    [['run', 'node', 'app.js'], 'Unexpected argument "node"; put the app\'s command after "--".'],
    [['analyze'], 'analyze needs exactly one recording file.'],
    [['analyze', 'a.ndjson', 'b.ndjson'], 'analyze needs exactly one recording file.'],
    [['analyze', '--json', 'r.json'], 'analyze needs exactly one recording file.'],
    [['analyze', 'a.ndjson', '--record', 'b.ndjson'], 'The option --record belongs to "run", not "analyze".'],
    [['analyze', 'a.ndjson', '--load', 'x'], 'The option --load belongs to "run", not "analyze".'],
    [['analyze', 'a.ndjson', '--duration', '3'], 'The option --duration belongs to "run", not "analyze".'],
    [['analyze', 'a.ndjson', '--rounds', '3'], 'The option --rounds belongs to "run", not "analyze".'],
    [['analyze', 'a.ndjson', '--', 'node', 'a.js'], 'analyze takes no command after "--".'],
  ];
  for (const [argv, message] of cases) assert.equal(usageError(argv), message, JSON.stringify(argv));
});

/** `node dist/cli.js …` as a user runs it. */
function cli(args) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
}

test('the CLI exits 2 with "perf-lens: <one sentence>" on stderr for bad usage, and runs nothing', () => {
  const cases = [
    [['frobnicate'], 'perf-lens: Unknown command "frobnicate"; use "run", "analyze" or "snapshot-diff".'],
    [['run', '--bogus', '--', 'node', '-e', 'process.exit(9)'], 'perf-lens: Unknown option "--bogus"; see "perf-lens --help".'],
    [['run', '--fail-on', 'nope', '--', 'node', '-e', '0'], `perf-lens: Unknown finding kind "nope" in --fail-on; known kinds: ${FINDING_KINDS.join(', ')}.`],
    [['run', '--rounds', '2', '--', 'node', '-e', '0'], 'perf-lens: The option --rounds needs --load.'],
    [['run', '--duration', 'abc', '--', 'node', '-e', '0'], 'perf-lens: The option --duration needs a positive number, not "abc".'],
    [['run', '--record'], 'perf-lens: The option --record needs a value.'],
    [['analyze', 'a.ndjson', 'b.ndjson'], 'perf-lens: analyze needs exactly one recording file.'],
    [['analyze', '/nonexistent/rec.ndjson'], 'perf-lens: The recording /nonexistent/rec.ndjson does not exist.'],
  ];
  for (const [args, line] of cases) {
    const res = cli(args);
    assert.equal(res.status, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.equal(res.stderr, line + '\n', args.join(' '));
    assert.equal(res.stdout, '');
    assertOneSentence(res.stderr.trim().replace(/^perf-lens: /, ''));
  }
});

test('the CLI prints usage for --help and the version for --version, exit 0', () => {
  const help = cli(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage:\n {2}perf-lens run \[options\] -- <command>/);
  for (const opt of ['--json', '--sarif', '--record', '--load', '--rounds', '--duration', '--root', '--fail-on']) {
    assert.match(help.stdout, new RegExp(`\\n  ${opt} `), `usage lists ${opt}`);
  }
  const version = cli(['--version']);
  assert.equal(version.status, 0);
  assert.equal(version.stdout, require(path.join(ROOT, 'package.json')).version + '\n');
});

test('heap sampling is on unless --no-heap-sampling; both flags belong to run only', () => {
  assert.equal(run('--', 'node', 'a.js').options.heapSampling, undefined); // run.ts: undefined means on
  assert.equal(run('--no-heap-sampling', '--', 'node', 'a.js').options.heapSampling, false);
  assert.equal(run('--heap-sampling', '--', 'node', 'a.js').options.heapSampling, true);
  assert.equal(usageError(['analyze', 'a.ndjson', '--no-heap-sampling']), 'The option --no-heap-sampling belongs to "run", not "analyze".');
  assert.equal(usageError(['analyze', 'a.ndjson', '--heap-sampling']), 'The option --heap-sampling belongs to "run", not "analyze".');
});
