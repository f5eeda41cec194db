'use strict';
// The agent configurations the CPU benches compare with a run without the agent: the
// PERF_LENS_OPTIONS each variant gets, probe by probe, to find where the time goes.
const ALL_OFF = { memory: false, gc: false, eventLoop: false, cpu: false, http: false, queries: false };
/** Agent configurations by name: the PERF_LENS_OPTIONS each variant runs with. */
const CONFIGS = {
  // what `perf-lens run` and the editor give an app by default
  defaults: { heapSampling: true },
  'no-sampling': {},
  'no-db': { heapSampling: true, probes: { ...ALL_OFF, memory: true, gc: true, eventLoop: true, cpu: true, http: true } },
  // probe by probe, to find where the time goes
  'no-probes': { probes: ALL_OFF },
  'http-only': { probes: { ...ALL_OFF, http: true } },
  'runtime-only': { probes: { ...ALL_OFF, memory: true, gc: true, eventLoop: true, cpu: true } },
  'sampling-only': { heapSampling: true, probes: ALL_OFF },
  'queries-only': { probes: { ...ALL_OFF, queries: true } },
  'gc-only': { probes: { ...ALL_OFF, gc: true } },
  'memory-only': { probes: { ...ALL_OFF, memory: true } },
  'event-loop-only': { probes: { ...ALL_OFF, eventLoop: true } },
  'cpu-only': { probes: { ...ALL_OFF, cpu: true } },
  // heap sampling without its periodic profile reads (each runs a full GC first)
  'sampling-no-reads': { heapSampling: { periodMs: 3_600_000 }, probes: ALL_OFF },
  // every default, the heap profile read every 30 s instead of 10 s
  'defaults-read-30s': { heapSampling: { periodMs: 30_000 } },
  // every default as a process older than three minutes runs them: reads of a quiet heap back off
  'defaults-settled': { heapSampling: { quietAfterMs: 0 } },
};

module.exports = { CONFIGS };
