'use strict';
// The floor's first part: Node publishes on the two http channels once anything subscribes,
// whatever the subscriber does (bench/cpu-slices.js --preloads noop=bench/probe-floor/noop-subscribers.js).
const dc = require('node:diagnostics_channel');
dc.subscribe('http.server.request.start', () => {});
dc.subscribe('http.server.response.finish', () => {});
