/**
 * A string-keyed map that outgrows V8's limit of 2^24 (16,777,216) entries per `Map`. It is one
 * `Map` until it holds `splitAt` entries (default 2^23), then moves to `shards` maps chosen by a
 * hash of the key (a one-time pass), so small indexes pay nothing for it and a large one keeps
 * growing until memory, not the `Map`, is the limit. Iteration order is insertion order within
 * a shard only.
 */
export class ShardedMap<V> {
  private single: Map<string, V> | undefined = new Map();
  private shards: Map<string, V>[] = [];
  private count = 0;
  private readonly splitAt: number;
  private readonly shardCount: number;

  constructor(options: { readonly splitAt?: number; readonly shards?: number } = {}) {
    this.splitAt = options.splitAt ?? 2 ** 23;
    this.shardCount = options.shards ?? 16;
  }

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.single !== undefined ? this.single.get(key) : this.shardOf(key).get(key);
  }

  has(key: string): boolean {
    return this.single !== undefined ? this.single.has(key) : this.shardOf(key).has(key);
  }

  set(key: string, value: V): this {
    const map = this.single ?? this.shardOf(key);
    const before = map.size;
    map.set(key, value);
    if (map.size > before) {
      this.count++;
      if (this.single !== undefined && this.count >= this.splitAt) this.split();
    }
    return this;
  }

  delete(key: string): boolean {
    const removed = (this.single ?? this.shardOf(key)).delete(key);
    if (removed) this.count--;
    return removed;
  }

  *keys(): IterableIterator<string> {
    if (this.single !== undefined) yield* this.single.keys();
    else for (const shard of this.shards) yield* shard.keys();
  }

  *values(): IterableIterator<V> {
    if (this.single !== undefined) yield* this.single.values();
    else for (const shard of this.shards) yield* shard.values();
  }

  /** Whether the entries have moved to shards (for tests and diagnostics). */
  get sharded(): boolean {
    return this.single === undefined;
  }

  private split(): void {
    const single = this.single!;
    this.shards = Array.from({ length: this.shardCount }, () => new Map<string, V>());
    this.single = undefined;
    for (const [key, value] of single) this.shardOf(key).set(key, value);
  }

  // FNV-1a over the key's code units: ids are spread well by any hash; entity ids such as
  // `user:1`, `user:2` need every character to count.
  private shardOf(key: string): Map<string, V> {
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    return this.shards[(hash >>> 0) % this.shardCount]!;
  }
}
