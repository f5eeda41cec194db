/**
 * One copy of each repeated string (SQL text, file paths, scope names): every parsed message
 * brings its own copies, and 200 000 kept queries would otherwise hold hundreds of MB of
 * duplicates. Bounded: past `max` entries it starts over, which costs copies, never correctness.
 */
export class Interner {
  private readonly map = new Map<string, string>();
  constructor(private readonly max = 50_000) {}

  intern(s: string): string {
    const known = this.map.get(s);
    if (known !== undefined) return known;
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(s, s);
    return s;
  }
}
