export interface LayoutNode {
  readonly id: string;
  readonly hops: number;
}

export interface LayoutEdge {
  readonly from: string;
  readonly to: string;
}

export interface Placed {
  readonly id: string;
  readonly hops: number;
  readonly x: number;
  readonly y: number;
}

/** Ring radii by hop count (the centre sits at 0, 0). */
export const RING_RADIUS = [0, 170, 300] as const;

/**
 * A radial layout: the centre in the middle, entities one hop away evenly on a ring, and each
 * entity two hops away near the first-ring entity that links to it, on an outer ring. The same
 * input always gives the same picture (order by id), so a live refresh does not shuffle it.
 */
export function layoutRadial(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Placed[] {
  const byId = (a: LayoutNode, b: LayoutNode) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const first = nodes.filter((node) => node.hops === 1).sort(byId);
  const second = nodes.filter((node) => node.hops >= 2).sort(byId);
  const placed: Placed[] = nodes
    .filter((node) => node.hops === 0)
    .map((node) => ({ ...node, x: 0, y: 0 }));
  const angleOf = new Map<string, number>();
  const start = -Math.PI / 2;
  first.forEach((node, i) => {
    const angle = start + (2 * Math.PI * i) / first.length;
    angleOf.set(node.id, angle);
    placed.push({
      ...node,
      x: RING_RADIUS[1] * Math.cos(angle),
      y: RING_RADIUS[1] * Math.sin(angle),
    });
  });
  const children = new Map<string, LayoutNode[]>();
  const orphans: LayoutNode[] = [];
  for (const node of second) {
    const parent = edges
      .flatMap((edge) =>
        edge.to === node.id ? [edge.from] : edge.from === node.id ? [edge.to] : [],
      )
      .filter((id) => angleOf.has(id))
      .sort()[0];
    if (parent === undefined) orphans.push(node);
    else children.set(parent, [...(children.get(parent) ?? []), node]);
  }
  const sector = first.length === 0 ? 2 * Math.PI : (2 * Math.PI) / first.length;
  for (const [parent, group] of children) {
    const step = Math.min(sector / (group.length + 1), 0.4);
    group.forEach((node, j) => {
      const angle = angleOf.get(parent)! + (j - (group.length - 1) / 2) * step;
      placed.push({
        ...node,
        x: RING_RADIUS[2] * Math.cos(angle),
        y: RING_RADIUS[2] * Math.sin(angle),
      });
    });
  }
  orphans.forEach((node, i) => {
    const angle = start + (2 * Math.PI * (i + 0.5)) / orphans.length;
    placed.push({
      ...node,
      x: RING_RADIUS[2] * Math.cos(angle),
      y: RING_RADIUS[2] * Math.sin(angle),
    });
  });
  return placed;
}
