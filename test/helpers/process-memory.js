'use strict';
// Memory of running processes as the stress tests sample it (Linux /proc), and the per-window
// peaks they judge plateaus by.
const fs = require('node:fs');

const MB = 1024 * 1024;

/** VmRSS of a process in bytes, or null once it is gone. */
function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Peak over each window of a series [{t, v}] split into `parts` equal spans of time. */
function windowPeaks(series, parts) {
  const t0 = series[0].t;
  const span = series[series.length - 1].t - t0;
  const peaks = new Array(parts).fill(0);
  for (const s of series) {
    const i = Math.min(parts - 1, Math.floor(((s.t - t0) / span) * parts));
    peaks[i] = Math.max(peaks[i], s.v);
  }
  return peaks;
}

const mb = (b) => `${(b / MB).toFixed(1)} MB`;

module.exports = { MB, rssOf, windowPeaks, mb };
