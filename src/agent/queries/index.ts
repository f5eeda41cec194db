import type { AgentContext } from '../context';

/** Placeholder until query capture lands here: installs nothing. */
export function installQueryProbes(_ctx: AgentContext): void {}
