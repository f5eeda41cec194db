'use strict';
// The agent configurations the CPU benches compare with a run without the agent: the
// PERF_LENS_OPTIONS each variant gets, probe by probe, to find where the time goes.
const ALL_OFF = { memory: false, gc: false, eventLoop: false, cpu: false, http: false, queries: false };
// sampling from the start (by default it starts at the first growth) but never read
const NO_READS = { wakeBytes: 1024 ** 3, sampleFromStart: true };
/** Agent configurations by name: the PERF_LENS_OPTIONS each variant runs with. */
const CONFIGS = {
  // what `perf-lens run` and the editor give an app by default
  defaults: { heapSampling: true },
  // the sampling heap profiler from the start, as before it waited for the first growth
  'sampling-from-start': { heapSampling: { sampleFromStart: true } },
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
  // heap sampling without its profile reads (each runs a full GC first)
  'sampling-no-reads': { heapSampling: NO_READS, probes: ALL_OFF },
  'defaults-no-reads': { heapSampling: NO_READS },
  // every default, and a read every 10 s or 30 s whatever the heap does (before reads waited
  // for the heap to grow, a process younger than three minutes got one every 10 s)
  'defaults-read-10s': { heapSampling: { maxQuietPeriodMs: 10_000 } },
  'defaults-read-30s': { heapSampling: { maxQuietPeriodMs: 30_000 } },
};

module.exports = { CONFIGS };
