/** Announcements after which lazy push checks how many the peer asked for. */
const LAZY_PROBE = 32;
/** Feed entries sent in full after a probe found the peer asking for most announcements. */
const LAZY_EAGER_SPAN = 16_384;

/** Which feed entries of a batch go by id: relayed ones (from a third node), own ones, both or none. */
export interface PushMode {
  readonly relayed: boolean;
  readonly own: boolean;
}

export interface LazyPushPolicy {
  /** The peer's subscribe asked for every entry by id (`ids`), or not. */
  setPullByIds(on: boolean): void;
  /** How to send the entries read after feed position `from` (see docs/sync-protocol.md). */
  modeFor(from: number, localHead: number): PushMode;
  /** An id went to the peer as an announcement; `relayed`: the entry came from a third node. */
  announced(id: string, relayed: boolean): void;
  /** The peer asked for an id (a `want`). */
  wanted(id: string): void;
}

/** Counts, over every `LAZY_PROBE` announcements of one kind, how many the peer asked for. */
function createProbe() {
  const announced = new Set<string>();
  let wanted = 0;
  let eagerUntil = 0;
  return {
    announce: (id: string) => announced.add(id),
    want: (id: string) => {
      if (announced.delete(id)) wanted++;
    },
    /** Whether entries of this kind read from `from` go in full (the peer asked for most). */
    isEager(from: number): boolean {
      if (announced.size + wanted >= LAZY_PROBE) {
        // Wants still in flight count as not wanted: the verdict leans to lazy.
        if (wanted * 2 > LAZY_PROBE) eagerUntil = from + LAZY_EAGER_SPAN;
        announced.clear();
        wanted = 0;
      }
      return from < eagerUntil;
    },
  };
}

/**
 * The serving side of lazy push for one link. Near the live edge a lazy-push peer gets relayed
 * entries by id: in a mesh it has usually had them from their origin already. Far behind
 * (catch-up), a `lazy-push` peer gets bodies; a `catch-up-by-ids` peer still gets relayed entries
 * by id, and its own entries too when its subscribe asked (`ids`). Announcements of one kind the
 * peer keeps asking for mean this link is its path to those deltas (a line, say, or a pull by id
 * of what only this node has): entries of that kind then go in full for a span of the feed.
 */
export function createLazyPushPolicy(options: {
  readonly peerLazy: boolean;
  /** The peer listed `catch-up-by-ids`: relayed entries go by id however far behind it is. */
  readonly peerPullsByIds: boolean;
  readonly filtered: boolean;
  readonly lazyPushLag: number;
}): LazyPushPolicy {
  const relayedProbe = createProbe();
  const ownProbe = createProbe();
  let byIds = false;
  return {
    setPullByIds(on) {
      byIds = on;
    },
    modeFor(from, localHead) {
      if (!options.peerLazy || options.filtered) return { relayed: false, own: false };
      const far = localHead - from > options.lazyPushLag;
      return {
        relayed: (!far || options.peerPullsByIds) && !relayedProbe.isEager(from),
        own: far && byIds && !ownProbe.isEager(from),
      };
    },
    announced(id, relayed) {
      (relayed ? relayedProbe : ownProbe).announce(id);
    },
    wanted(id) {
      relayedProbe.want(id);
      ownProbe.want(id);
    },
  };
}
