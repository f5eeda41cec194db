'use strict';
// Reads callgrind's output format (valgrind.org/docs/manual/cl-format.html) into self costs per
// function, naming V8's JIT code from a --perf-basic-prof map.

/** `perf-PID.map` text → address → `JS:*name file:line` (null when no code object holds it). */
function nameJitCode(mapText) {
  const rows = [];
  for (const line of mapText.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) rows.push([parseInt(m[1], 16), parseInt(m[2], 16), m[3].replace(/0x[0-9a-f]+/g, '').trim()]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  return (addr) => {
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid][0] <= addr) lo = mid + 1;
      else hi = mid - 1;
    }
    const row = rows[hi];
    return row && addr < row[0] + row[1] ? row[2] : null;
  };
}

/**
 * Self cost per function: { events, totals: {event: n}, functions: Map<name, {event: n}> }.
 * A function callgrind knows only by address (JIT code) is named by `jitName` when given;
 * recursion suffixes (`'2`) are folded into the function.
 */
function parseCallgrind(text, jitName = null) {
  // one table of compressed names per kind: fl=(1) and fn=(1) are different names
  const tables = { fn: new Map(), fl: new Map(), ob: new Map() };
  const TABLE_OF = { fn: 'fn', cfn: 'fn', fl: 'fl', fi: 'fl', fe: 'fl', cfi: 'fl', cfl: 'fl', ob: 'ob', cob: 'ob' };
  const compressed = (key, value) => {
    const names = tables[TABLE_OF[key]];
    const m = /^\((\d+)\)(?: (.*))?$/.exec(value);
    if (!m) return value;
    if (m[2] !== undefined) names.set(m[1], m[2]);
    return names.get(m[1]) ?? '?';
  };
  const display = (fn) => {
    const base = fn.replace(/'\d+$/, '');
    if (jitName && /^0x[0-9a-f]+$/.test(base)) return jitName(parseInt(base, 16)) ?? 'JIT code (unnamed)';
    return base;
  };
  let events = ['Ir'];
  let summary = null;
  const functions = new Map();
  let current = null;
  let skipCallCost = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const c = line.charCodeAt(0);
    // a cost line: position (number, +n, -n or *) then one count per event
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) {
      if (skipCallCost) {
        skipCallCost = false; // the inclusive cost of the call above, not this function's own
        continue;
      }
      if (current === null) continue;
      const parts = line.split(' ');
      for (let i = 1; i < parts.length && i <= events.length; i++) current[events[i - 1]] += Number(parts[i]);
      continue;
    }
    const eq = line.indexOf('=');
    if (line.startsWith('events:')) events = line.slice(7).trim().split(/\s+/);
    else if (line.startsWith('summary:')) summary = line.slice(8).trim().split(/\s+/).map(Number);
    else if (eq > 0) {
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      if (key === 'fn') {
        const name = display(compressed(key, value));
        current = functions.get(name);
        if (!current) functions.set(name, (current = Object.fromEntries(events.map((e) => [e, 0]))));
      } else if (key === 'calls') skipCallCost = true;
      else if (TABLE_OF[key] !== undefined) compressed(key, value);
    }
  }
  // callgrind's own summary when it wrote one (the per-function sums run ~0.3 % over it)
  const totals = Object.fromEntries(events.map((e, i) => [e, summary?.[i] ?? 0]));
  if (!summary) for (const f of functions.values()) for (const e of events) totals[e] += f[e];
  return { events, totals, functions };
}

module.exports = { parseCallgrind, nameJitCode };
