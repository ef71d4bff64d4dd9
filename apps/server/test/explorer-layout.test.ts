import { describe, expect, it } from 'vitest';
import { layoutRadial, RING_RADIUS } from '../explorer/src/graph-layout.ts';

describe('the Explorer graph layout', () => {
  const nodes = [
    { id: 'c', hops: 1 },
    { id: 'centre', hops: 0 },
    { id: 'a', hops: 1 },
    { id: 'far-of-a', hops: 2 },
    { id: 'b', hops: 1 },
    { id: 'far-of-c', hops: 2 },
  ];
  const edges = [
    { from: 'centre', to: 'a' },
    { from: 'centre', to: 'b' },
    { from: 'c', to: 'centre' },
    { from: 'a', to: 'far-of-a' },
    { from: 'far-of-c', to: 'c' },
  ];

  it('puts the centre in the middle and each hop on its ring', () => {
    const placed = layoutRadial(nodes, edges);
    expect(placed).toHaveLength(nodes.length);
    for (const node of placed) {
      expect(Math.hypot(node.x, node.y)).toBeCloseTo(RING_RADIUS[node.hops as 0 | 1 | 2], 6);
    }
  });

  it('places a two-hop entity next to the entity that leads to it', () => {
    const at = new Map(layoutRadial(nodes, edges).map((node) => [node.id, node]));
    const angle = (id: string) => Math.atan2(at.get(id)!.y, at.get(id)!.x);
    expect(angle('far-of-a')).toBeCloseTo(angle('a'), 6);
    expect(angle('far-of-c')).toBeCloseTo(angle('c'), 6);
  });

  it('gives the same picture whatever the input order', () => {
    const sorted = (list: ReturnType<typeof layoutRadial>) =>
      [...list].sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(sorted(layoutRadial([...nodes].reverse(), [...edges].reverse()))).toEqual(
      sorted(layoutRadial(nodes, edges)),
    );
  });
});
