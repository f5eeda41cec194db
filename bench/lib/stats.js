'use strict';
// Small statistics for the bench table: median and spread of a handful of runs.

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** { median, min, max, spreadPct: (max-min)/median in % } */
function describe(xs) {
  const m = median(xs);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  return { n: xs.length, median: m, min, max, spreadPct: m ? ((max - min) / m) * 100 : NaN };
}

module.exports = { median, describe };
