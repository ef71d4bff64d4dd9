// Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes at exit) and lists the functions with
// the most self time, so a bench can say what bounds a process without a profiler UI.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotFunction {
  readonly name: string;
  /** Share of all samples (idle included), 0–1. */
  readonly share: number;
  readonly ms: number;
}

/**
 * The `top` functions by self time in the busiest `.cpuprofile` of `dir` (the least idle): a
 * process run with tsx writes one per thread, and the loader's worker thread idles.
 */
export async function readTopFunctions(dir: string, top = 15): Promise<HotFunction[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
  let profile: Profile | undefined;
  let busiest = -1;
  for (const file of files) {
    const candidate = JSON.parse(await readFile(join(dir, file), 'utf8')) as Profile;
    const busy = busyMicroseconds(candidate);
    if (busy > busiest) [profile, busiest] = [candidate, busy];
  }
  if (profile === undefined) return [];
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) return;
    const file = frame.url.replace(/^.*\/(packages|apps|node_modules)\//, '$1/');
    const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    selfUs.set(name, (selfUs.get(name) ?? 0) + delta);
  });
  return [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, share: us / total, ms: us / 1000 }));
}

function busyMicroseconds(profile: Profile): number {
  const idle = new Set(
    profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id),
  );
  let busy = 0;
  profile.samples.forEach((id, i) => {
    if (!idle.has(id)) busy += profile.timeDeltas[i] ?? 0;
  });
  return busy;
}

export function formatTopFunctions(functions: readonly HotFunction[]): string {
  return functions
    .map(
      (f) =>
        `  ${(100 * f.share).toFixed(1).padStart(5)} %  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`,
    )
    .join('\n');
}
