/** A place in the catch-up gate: the lead, or a wait for it. */
export interface CatchUpTurn {
  /** Whether this session may pull in bulk now; a waiter becomes leader when the lead passes to it. */
  readonly leader: boolean;
  /** The leader has caught up: every waiter is woken, none leads. */
  finish(): void;
  /**
   * Gives up the place. A leader that leaves before catching up hands the lead to the longest
   * waiter; a waiter just leaves the queue. Safe to call twice, and after `finish`.
   */
  leave(): void;
}

/**
 * Lets one session at a time pull a peer's history in bulk: into a node's empty store, or from a
 * cursor far behind the peer's head (a node back from a partition). Without it, a node linked to
 * several peers downloads what it lacks once from each of them; with it, the others wait until
 * the leader has caught up, then reconcile, or pull by id, against a store that already holds
 * (nearly) everything. Sessions that hear of deltas by id meanwhile hold their wants until the
 * gate is idle (`whenIdle`): the leader is likely bringing those deltas already.
 */
export interface CatchUpGate {
  /**
   * Asks for the lead. A waiter's `onTurn` runs once when its wait ends: with `true` when the lead
   * passed to it, with `false` when the leader caught up.
   */
  enter(onTurn: (leads: boolean) => void): CatchUpTurn;
  /** Whether some session is pulling in bulk now (a leader holds the gate). */
  busy(): boolean;
  /**
   * Runs `listener` once when no session leads any more (at once if none does). Returns a
   * cancel function.
   */
  whenIdle(listener: () => void): () => void;
}

interface Place extends CatchUpTurn {
  leader: boolean;
  readonly onTurn: (leads: boolean) => void;
}

export function createCatchUpGate(): CatchUpGate {
  let leading: Place | undefined;
  const waiting: Place[] = [];
  const idleListeners = new Set<() => void>();

  const checkIdle = (): void => {
    if (leading !== undefined) return;
    const listeners = [...idleListeners];
    idleListeners.clear();
    for (const listener of listeners) listener();
  };

  const remove = (place: Place): void => {
    const index = waiting.indexOf(place);
    if (index >= 0) waiting.splice(index, 1);
  };

  return {
    enter(onTurn) {
      const place: Place = {
        leader: false,
        onTurn,
        finish() {
          if (leading !== place) return;
          leading = undefined;
          place.leader = false;
          for (const waiter of waiting.splice(0)) waiter.onTurn(false);
          checkIdle();
        },
        leave() {
          if (leading !== place) {
            remove(place);
            return;
          }
          leading = undefined;
          place.leader = false;
          const next = waiting.shift();
          if (next === undefined) {
            checkIdle();
            return;
          }
          leading = next;
          next.leader = true;
          next.onTurn(true);
        },
      };
      if (leading === undefined) {
        leading = place;
        place.leader = true;
      } else {
        waiting.push(place);
      }
      return place;
    },
    busy: () => leading !== undefined,
    whenIdle(listener) {
      if (leading === undefined) {
        listener();
        return () => {};
      }
      idleListeners.add(listener);
      return () => idleListeners.delete(listener);
    },
  };
}
