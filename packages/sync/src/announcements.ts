/**
 * The pulling side of lazy push for one link: announced ids this node lacks, each with the cursor
 * its batch started from. The cursor is persisted no further than the oldest such floor, so a link
 * that drops before the deltas arrive resumes from before the announcement and hears it again.
 *
 * An announced id is first **held back** while the node's catch-up gate is busy (another link is
 * pulling in bulk, and most likely bringing the same delta): asking at once would fetch it twice.
 * `release` then says which of the held ids are still missing, to be asked for.
 */
export interface AnnouncementTracker {
  /** Ids announced, asked for or held back, and not arrived yet. */
  readonly size: number;
  /** Ids held back, not asked for yet. */
  readonly heldBack: number;
  /** Whether `id` is outstanding (asked for or held back). */
  has(id: string): boolean;
  /** Records ids announced in a batch that started at cursor `floor`; `ask` says whether to ask now. */
  record(ids: readonly string[], floor: number, ask: boolean): void;
  /** A delta arrived (over this link, or found stored): it is no longer outstanding. */
  arrived(id: string): void;
  /** Takes the held-back ids, to be checked against the store and asked for. */
  release(): string[];
  /** The highest cursor that may be persisted when the in-memory cursor is `cursor`. */
  persistable(cursor: number): number;
}

interface Floor {
  readonly floor: number;
  outstanding: number;
}

export function createAnnouncementTracker(): AnnouncementTracker {
  const outstanding = new Map<string, Floor>();
  const floors: Floor[] = [];
  let held: string[] = [];
  return {
    get size() {
      return outstanding.size;
    },
    get heldBack() {
      return held.length;
    },
    has: (id) => outstanding.has(id),
    record(ids, floor, ask) {
      const record: Floor = { floor, outstanding: ids.length };
      floors.push(record);
      for (const id of ids) outstanding.set(id, record);
      if (!ask) held.push(...ids);
    },
    arrived(id) {
      const record = outstanding.get(id);
      if (record === undefined) return;
      outstanding.delete(id);
      record.outstanding--;
    },
    release() {
      const ids = held.filter((id) => outstanding.has(id));
      held = [];
      return ids;
    },
    persistable(cursor) {
      while (floors.length > 0 && floors[0]!.outstanding === 0) floors.shift();
      return floors.length === 0 ? cursor : Math.min(cursor, floors[0]!.floor);
    },
  };
}
