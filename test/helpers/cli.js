// Runs the built CLI (dist/cli.js) as a real child process and collects what a user sees.
const { ROOT, CLI } = require('./build');
const { assertValidReport, isReport } = require('./report-schema');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');


/** Runs `perf-lens ...args`; resolves with { code, stdout, stderr, child }. */
function runCli(args, { cwd = ROOT, env = process.env, timeoutMs = 120_000, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`perf-lens ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    if (onSpawn) onSpawn(child);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, child });
    });
  });
}

/** A fresh temp dir holding the given files ({ 'app.js': '...' }). */
function fixtureDir(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-test-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** Reads a JSON file; a Perf Lens report is also checked against docs/report.schema.json. */
function readJson(file) {
  const value = JSON.parse(fs.readFileSync(file, 'utf8'));
  return isReport(value) ? assertValidReport(value, file) : value;
}

module.exports = { ROOT, CLI, runCli, fixtureDir, readJson };
