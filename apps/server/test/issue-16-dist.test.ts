import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

// What `pnpm build` writes must work once published, where `publishConfig` replaces `exports`
// and `imports` (core's `#sha256`): every target exists, and every import in `dist/` resolves
// to a built file, a mapped `#` import, a declared dependency or a Node built-in.
const BUILT = inject('built');
const repoDir = fileURLToPath(new URL('../../../', import.meta.url));

interface Manifest {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  publishConfig?: { exports?: unknown; imports?: Record<string, unknown>; bin?: unknown };
}

const targets = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : typeof value === 'object' && value !== null
      ? Object.values(value).flatMap(targets)
      : [];

function publicPackages(): { dir: string; manifest: Manifest }[] {
  return ['packages', 'apps']
    .flatMap((group) => readdirSync(join(repoDir, group)).map((name) => join(repoDir, group, name)))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({
      dir,
      manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest,
    }))
    .filter(({ manifest }) => manifest.private !== true);
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsFiles(path);
    return path.endsWith('.js') ? [path] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\s]+)\1/g;
const BUILTINS = new Set(builtinModules);

/** The package name of a bare specifier (`@scope/name/sub` → `@scope/name`). */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

describe.skipIf(!BUILT)('the built packages, as published', () => {
  const packages = publicPackages();
  const exportsOf = new Map(
    packages.map(({ manifest }) => [manifest.name, manifest.publishConfig?.exports]),
  );

  it.each(packages.map(({ dir, manifest }) => [manifest.name, dir] as const))(
    '%s: publishConfig targets exist and dist imports resolve',
    (name, dir) => {
      const { manifest } = packages.find((p) => p.dir === dir)!;
      const publish = manifest.publishConfig ?? {};
      const missing = [publish.exports, publish.imports, publish.bin]
        .flatMap(targets)
        .filter((target) => !existsSync(join(dir, target)));
      expect(missing, `${name}: publishConfig targets missing`).toEqual([]);

      const declared = new Set([
        name,
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
      ]);
      const problems: string[] = [];
      for (const file of jsFiles(join(dir, 'dist'))) {
        const where = relative(dir, file);
        // tsc keeps comments on lines of their own; their prose ("from …") is not an import.
        const code = readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
          .join('\n');
        for (const [, , specifier] of code.matchAll(SPECIFIER)) {
          if (specifier!.startsWith('.')) {
            const target = join(dirname(file), specifier!);
            if (!specifier!.endsWith('.js') || !existsSync(target))
              problems.push(`${where}: ${specifier} is not a built file`);
          } else if (specifier!.startsWith('#')) {
            if (publish.imports?.[specifier!] === undefined)
              problems.push(`${where}: ${specifier} is not in publishConfig.imports`);
          } else if (specifier!.startsWith('node:') || BUILTINS.has(specifier!)) {
            // a Node built-in
          } else {
            const dependency = packageOf(specifier!);
            if (!declared.has(dependency)) {
              problems.push(`${where}: ${dependency} is not a dependency`);
            } else if (exportsOf.has(dependency)) {
              const subpath = `.${specifier!.slice(dependency.length)}`;
              const exported = exportsOf.get(dependency) as Record<string, unknown> | undefined;
              if (exported?.[subpath] === undefined)
                problems.push(`${where}: ${specifier} is not exported by ${dependency}`);
            }
          }
        }
      }
      expect(problems, `${name}: imports of dist/`).toEqual([]);
    },
  );
});
