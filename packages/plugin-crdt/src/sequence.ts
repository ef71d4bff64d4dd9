import type { Delta } from '@rhizome/core';
import type { PluginOptions, ResolverPlugin } from '@rhizome/plugins';
import { compareStamps } from './order.ts';
import { AFTER } from './pointers.ts';
import { VERSION } from './version.ts';

/** One element: an insert delta. Deleted elements stay as tombstones so successors keep their place. */
export interface SequenceNode {
  readonly id: string;
  readonly time: number;
  readonly value: unknown;
  /** The element this one was inserted after; undefined for the start. */
  readonly afterId: string | undefined;
  /** Elements inserted right after this one, greatest (timeCreated, id) first. */
  children: SequenceNode[] | undefined;
  /** Next element in document order (tombstones included). */
  next: SequenceNode | undefined;
  deleted: boolean;
  /** Linked into the document; false while the element it follows is unknown. */
  linked: boolean;
}

export interface SequenceState {
  /** Sentinel before the first element. */
  readonly head: SequenceNode;
  readonly nodes: Map<string, SequenceNode>;
  /** Elements waiting for the element they follow, by that element's id. */
  readonly pending: Map<string, SequenceNode[]>;
}

/** What the plugin outputs: joined text, the list of values, or the elements with their ids. */
export type SequenceOutput = 'text' | 'list' | 'elements';

export interface SequenceOptions extends PluginOptions {
  /** Default `'text'`: the string values joined (other values skipped). */
  readonly as?: SequenceOutput;
}

export interface SequenceElement {
  /** The insert delta's id: what the next insert references, what a delete negates. */
  readonly id: string;
  readonly value: unknown;
}

function createNode(
  id: string,
  time: number,
  value: unknown,
  afterId: string | undefined,
): SequenceNode {
  return {
    id,
    time,
    value,
    afterId,
    children: undefined,
    next: undefined,
    deleted: false,
    linked: false,
  };
}

export function createSequenceState(): SequenceState {
  const head = createNode('', Number.NEGATIVE_INFINITY, undefined, undefined);
  head.linked = true;
  return { head, nodes: new Map(), pending: new Map() };
}

function afterIdOf(delta: Delta): string | undefined {
  for (const pointer of delta.pointers) {
    const target = pointer.target;
    if (pointer.localContext === AFTER && typeof target === 'object' && target !== null)
      return target.id;
  }
  return undefined;
}

/** The last element of `node`'s subtree in document order. */
function lastDescendant(node: SequenceNode): SequenceNode {
  let last = node;
  while (last.children !== undefined) last = last.children[last.children.length - 1]!;
  return last;
}

/**
 * RGA placement: the elements inserted after one element sit in descending (timeCreated, id)
 * order, each followed by its own subtree. So a new element goes right after the subtree of its
 * greater siblings; with causal timestamps it is the greatest and goes right after its origin in
 * O(1), which is the whole of sequential typing.
 */
function link(parent: SequenceNode, node: SequenceNode): void {
  const siblings = parent.children;
  let previous: SequenceNode;
  if (siblings === undefined) {
    parent.children = [node];
    previous = parent;
  } else {
    let low = 0;
    let high = siblings.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const sibling = siblings[middle]!;
      if (compareStamps(sibling.time, sibling.id, node.time, node.id) > 0) low = middle + 1;
      else high = middle;
    }
    previous = low === 0 ? parent : lastDescendant(siblings[low - 1]!);
    siblings.splice(low, 0, node);
  }
  node.next = previous.next;
  previous.next = node;
  node.linked = true;
}

/** Links `node` and then, breadth-first, everything that was waiting for it. */
function linkWithWaiting(state: SequenceState, parent: SequenceNode, node: SequenceNode): void {
  link(parent, node);
  if (state.pending.size === 0) return;
  const queue = [node];
  for (let index = 0; index < queue.length; index += 1) {
    const ready = queue[index]!;
    const waiting = state.pending.get(ready.id);
    if (waiting === undefined) continue;
    state.pending.delete(ready.id);
    for (const child of waiting) {
      link(ready, child);
      queue.push(child);
    }
  }
}

function insert(state: SequenceState, value: unknown, delta: Delta): SequenceState {
  const known = state.nodes.get(delta.id);
  if (known !== undefined) {
    // Seen before: this is a restore (its negation was negated).
    known.deleted = false;
    return state;
  }
  const afterId = afterIdOf(delta);
  const node = createNode(delta.id, delta.timeCreated, value, afterId);
  state.nodes.set(delta.id, node);
  const parent = afterId === undefined ? state.head : state.nodes.get(afterId);
  if (parent === undefined || !parent.linked) {
    // Its predecessor has not arrived (or is itself waiting): park it; it links when that does.
    const key = afterId!;
    const waiting = state.pending.get(key);
    if (waiting === undefined) state.pending.set(key, [node]);
    else waiting.push(node);
    return state;
  }
  linkWithWaiting(state, parent, node);
  return state;
}

/** Walks the document once, calling `visit` for each element that is not deleted. */
export function forEachElement(state: SequenceState, visit: (node: SequenceNode) => void): void {
  for (let node = state.head.next; node !== undefined; node = node.next)
    if (!node.deleted) visit(node);
}

function toText(state: SequenceState): string {
  const parts: string[] = [];
  forEachElement(state, (node) => {
    if (typeof node.value === 'string') parts.push(node.value);
  });
  return parts.join('');
}

/**
 * RGA sequence: an ordered list or text. Each insert is a delta listed under `entity.property`
 * whose value is the element and whose `after` pointer references the insert delta it follows
 * (none: at the start). A delete is a negation of the insert; the element stays as a tombstone so
 * later inserts after it keep their place, and negating the negation restores it.
 *
 * Concurrent inserts after one element are ordered by (timeCreated, id) descending, so every node
 * converges on one order; a run typed by one creator stays together. An insert whose predecessor
 * has not arrived waits invisibly until it does.
 *
 * Tombstones need the negated inserts: from scratch, pass them to the resolver as `negated`.
 */
export function sequence(
  options: SequenceOptions,
): ResolverPlugin<SequenceState, string | unknown[] | SequenceElement[]> {
  const output = options.as ?? 'text';
  return {
    name: '@rhizome/plugin-crdt/sequence',
    version: VERSION,
    property: options.property,
    reads: options.reads ?? [options.property],
    dependsOn: options.dependsOn ?? [],
    usesDependenciesInUpdate: false,
    // Deleted inserts stay in the tree: later inserts after them must keep their place.
    keepsTombstones: true,
    initialize: createSequenceState,
    update: (state, value, delta) => insert(state, value, delta),
    remove(state, _value, delta) {
      const node = state.nodes.get(delta.id);
      if (node !== undefined) node.deleted = true;
      return state;
    },
    resolve(state) {
      if (output === 'text') return toText(state);
      const values: unknown[] = [];
      forEachElement(state, (node) =>
        values.push(output === 'list' ? node.value : { id: node.id, value: node.value }),
      );
      return values;
    },
  };
}
