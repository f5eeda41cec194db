/** Fixed-capacity FIFO: keeps the newest `capacity` items and counts what it let go. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private size = 0;
  /** items pushed out to make room */
  evicted = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new Error('A ring buffer needs a positive capacity.');
    this.items = new Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size < this.capacity) {
      this.items[(this.start + this.size) % this.capacity] = item;
      this.size++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
      this.evicted++;
    }
  }

  last(): T | undefined {
    return this.size ? this.items[(this.start + this.size - 1) % this.capacity] : undefined;
  }

  toArray(): T[] {
    const out: T[] = new Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.items[(this.start + i) % this.capacity] as T;
    return out;
  }

  /** Items with `t` at or after `since`, oldest first (items must be pushed in time order). */
  since(since: number, time: (item: T) => number): T[] {
    const out: T[] = [];
    for (let i = this.size - 1; i >= 0; i--) {
      const item = this.items[(this.start + i) % this.capacity] as T;
      if (time(item) < since) break;
      out.push(item);
    }
    return out.reverse();
  }
}
