import type { ProfilingSession } from '../profiling-service';
import type { ProfilingTerminals } from '../terminals';

/** What every command handler gets. */
export interface CommandContext {
  session: ProfilingSession;
  terminals: ProfilingTerminals;
}

export type CommandHandler = (ctx: CommandContext, ...args: unknown[]) => unknown;
