import type { CommandFrame } from '../protocol/messages';
import type { AgentContext, CommandHandler } from './context';

/** Server commands by name; each answered by exactly one `result` message. */
export class Commands {
  private readonly handlers = new Map<string, CommandHandler>();

  constructor(private readonly ctx: Pick<AgentContext, 'pid' | 'now' | 'emit'>) {
    this.handlers.set('ping', () => ({ pong: true }));
  }

  register(name: string, handler: CommandHandler): void {
    this.handlers.set(name, handler);
  }

  handle(frame: CommandFrame): void {
    const handler = this.handlers.get(frame.name);
    if (handler === undefined) {
      this.answer(frame.id, false, undefined, 'unknown command');
      return;
    }
    let value: unknown;
    try {
      value = handler(frame.args && typeof frame.args === 'object' ? frame.args : {});
    } catch (err) {
      this.answer(frame.id, false, undefined, messageOf(err));
      return;
    }
    Promise.resolve(value).then(
      (data) => this.answer(frame.id, true, data),
      (err) => this.answer(frame.id, false, undefined, messageOf(err)),
    );
  }

  private answer(id: number, ok: boolean, data?: unknown, error?: string): void {
    const msg = { type: 'result' as const, pid: this.ctx.pid, t: this.ctx.now(), id, ok, data, error };
    if (data === undefined) delete msg.data;
    if (error === undefined) delete msg.error;
    this.ctx.emit(msg);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
