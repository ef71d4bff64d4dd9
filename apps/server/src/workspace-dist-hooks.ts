// A Node module hook for the built server inside the repository (registered by main.ts): a
// workspace package whose `exports` name `src/<path>.ts` is loaded from `dist/<path>.js`, which
// `pnpm build` writes with the same layout (tsconfig.build.json: rootDir src, outDir dist).
import { existsSync } from 'node:fs';
import type { ResolveHook } from 'node:module';
import { fileURLToPath } from 'node:url';

const SOURCE = /^(file:\/\/.*)\/src\/(.*)\.ts$/;

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const resolved = await nextResolve(specifier, context);
  const match = SOURCE.exec(resolved.url);
  if (match === null) return resolved;
  const built = `${match[1]}/dist/${match[2]}.js`;
  if (!existsSync(fileURLToPath(built))) {
    throw new Error(
      `${specifier} resolves to its TypeScript source ${fileURLToPath(resolved.url)}, ` +
        'which plain Node cannot run, and it has no build: run `pnpm build` first',
    );
  }
  return { ...resolved, url: built, format: 'module' };
};
