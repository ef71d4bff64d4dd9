/**
 * Floating-point addition is not associative, so a running sum would depend on delivery order.
 * Shewchuk's non-overlapping partials hold the exact sum; `roundPartials` rounds it correctly,
 * so every order of additions and subtractions gives the same number (the algorithm behind
 * Python's `math.fsum`).
 */
export function addToPartials(partials: number[], value: number): void {
  let x = value;
  let used = 0;
  for (let i = 0; i < partials.length; i += 1) {
    let y = partials[i]!;
    if (Math.abs(x) < Math.abs(y)) {
      const swap = x;
      x = y;
      y = swap;
    }
    const high = x + y;
    const low = y - (high - x);
    if (low !== 0) partials[used++] = low;
    x = high;
  }
  partials.length = used;
  if (x !== 0 || used === 0) partials.push(x);
}

export function roundPartials(partials: readonly number[]): number {
  let n = partials.length;
  if (n === 0) return 0;
  n -= 1;
  let high = partials[n]!;
  let low = 0;
  while (n > 0) {
    const x = high;
    n -= 1;
    const y = partials[n]!;
    high = x + y;
    low = y - (high - x);
    if (low !== 0) break;
  }
  // Half-way case: the remaining partials decide which way to round.
  if (n > 0 && ((low < 0 && partials[n - 1]! < 0) || (low > 0 && partials[n - 1]! > 0))) {
    const y = low * 2;
    const x = high + y;
    if (y === x - high) high = x;
  }
  return high;
}
