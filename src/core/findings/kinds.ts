/** Headings of each finding kind, in the order a reader should act on them. */
export const KIND_TITLES: Readonly<Record<string, string>> = Object.freeze({
  'n-plus-one': 'N+1 queries',
  'slow-query': 'Slow queries',
  'duplicate-query': 'Duplicate queries',
  'pool-wait': 'Waits for a pooled connection',
  'held-connection': 'Transactions held open across other work',
  leak: 'Memory leaks',
  'heap-growth': 'Heap growth',
  'heap-limit': 'Heap near its limit',
  'gc-pressure': 'GC pressure',
  'event-loop-block': 'Event loop blocking',
});
