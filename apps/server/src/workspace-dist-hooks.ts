// A Node module hook for the built server inside the repository (registered by main.ts): a
// workspace package whose `exports` name `src/<path>.ts` is loaded from `dist/<path>.js`, which
// `pnpm build` writes with the same layout (tsconfig.build.json: rootDir src, outDir dist).
// A deployed copy (`pnpm deploy`, as the Dockerfile does) holds only what each package's `files`
// names, which is `dist`: there the source the export names is absent, and the build is used.
import { existsSync } from 'node:fs';
import type { ResolveHook } from 'node:module';
import { fileURLToPath } from 'node:url';

const SOURCE = /^(file:\/\/.*)\/src\/(.*)\.ts$/;

function builtFor(specifier: string, sourceUrl: string): string | undefined {
  const match = SOURCE.exec(sourceUrl);
  if (match === null) return undefined;
  const built = `${match[1]}/dist/${match[2]}.js`;
  if (!existsSync(fileURLToPath(built))) {
    throw new Error(
      `${specifier} resolves to its TypeScript source ${fileURLToPath(sourceUrl)}, ` +
        'which plain Node cannot run, and it has no build: run `pnpm build` first',
    );
  }
  return built;
}

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  let resolved: Awaited<ReturnType<typeof nextResolve>>;
  try {
    resolved = await nextResolve(specifier, context);
  } catch (error) {
    const missing = error as { code?: unknown; url?: unknown };
    if (missing.code === 'ERR_MODULE_NOT_FOUND' && typeof missing.url === 'string') {
      const built = builtFor(specifier, missing.url);
      if (built !== undefined) return { url: built, format: 'module', shortCircuit: true };
    }
    throw error;
  }
  const built = builtFor(specifier, resolved.url);
  return built === undefined ? resolved : { ...resolved, url: built, format: 'module' };
};
