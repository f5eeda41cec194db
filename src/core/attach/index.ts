// Attach to a running Node.js process: list candidates, open its inspector, inject the agent.
export { listNodeProcesses, type NodeProcessInfo } from './list-processes';
export { attachAgent, type AttachOptions, type AttachResult } from './attach';
export { AttachError, type AttachErrorCode } from './errors';
export { inspectorFlags, isLoopbackHost, type InspectorFlags } from './inspector-flags';
