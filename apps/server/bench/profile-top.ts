// Prints the top functions by self time of V8 CPU profiles (`node --cpu-prof`, or the benches'
// RHIZOME_BENCH_CPU_PROF=<dir>): `tsx bench/profile-top.ts <file.cpuprofile>… [--top N]`.
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt === -1 ? 15 : Number(args[topAt + 1]);
const files = args.filter((arg, i) => arg !== '--top' && i !== topAt + 1);

for (const file of files) {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url.replace(
      /^.*\/(node_modules\/\.pnpm\/[^/]+\/node_modules\/|packages\/|apps\/)/,
      '',
    );
    const key = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  console.log(`\n${file}: ${(total / 1e6).toFixed(1)} s sampled`);
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`);
  }
}
