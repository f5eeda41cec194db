import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { validateMessage, type AgentMessage } from '../../protocol';

/** Appends messages as NDJSON, one per line, exactly as received. Synchronous open so errors surface early. */
export class RecordingWriter {
  private readonly stream: fs.WriteStream;
  constructor(readonly file: string) {
    fs.writeFileSync(file, '');
    this.stream = fs.createWriteStream(file, { flags: 'a' });
  }
  write(msg: AgentMessage): void {
    this.stream.write(JSON.stringify(msg) + '\n');
  }
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}

export interface RecordingReadResult {
  messages: number;
  /** lines that were not valid messages, with the first few reasons */
  invalid: number;
  firstErrors: string[];
}

/** Streams a recording, validating each line like the server validates frames. */
export async function readRecording(file: string, onMessage: (msg: AgentMessage) => void): Promise<RecordingReadResult> {
  const result: RecordingReadResult = { messages: 0, invalid: 0, firstErrors: [] };
  const input = fs.createReadStream(file, { encoding: 'utf8' });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      result.invalid++;
      if (result.firstErrors.length < 5) result.firstErrors.push(`line ${n}: not valid JSON`);
      continue;
    }
    const v = validateMessage(parsed);
    if (!v.ok) {
      result.invalid++;
      if (result.firstErrors.length < 5) result.firstErrors.push(`line ${n}: ${v.reason}`);
      continue;
    }
    result.messages++;
    onMessage(v.value);
  }
  return result;
}
