import { type AdapterModule, ConfigError } from "@statehouse/core";
import { registerAdapter } from "@statehouse/core/spi";

// The CLI depends on the adapters (optionally); core does not, and under a strict layout (pnpm,
// a global install) core cannot resolve them from where it lives. So the CLI registers loaders
// that import each adapter from here. Each stays a lazy import: a command loads only the adapter
// its store URL names.
// The specifier is a variable so that type-checking does not require every adapter to be built.
const SCHEMES: readonly (readonly [scheme: string, adapter: string])[] = [
  ["file", "file"],
  ["sqlite", "sqlite"],
  ["lmdb", "lmdb"],
  ["postgres", "postgres"],
  ["postgresql", "postgres"],
];

export function registerCliAdapters(): void {
  for (const [scheme, adapter] of SCHEMES) {
    const specifier = `@statehouse/adapter-${adapter}`;
    registerAdapter(scheme, async () => {
      try {
        return (await import(specifier)) as AdapterModule;
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw err;
        const why = String((err as Error).message).split("\n")[0];
        throw new ConfigError(`the ${scheme}: adapter is not installed (npm install ${specifier}): ${why}`, {
          cause: err,
          details: { scheme },
        });
      }
    });
  }
}
