/** First index whose value is >= `bound` in an ascending array of strings. */
export function findLowerBound(values: readonly string[], bound: string): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! < bound) low = mid + 1;
    else high = mid;
  }
  return low;
}
