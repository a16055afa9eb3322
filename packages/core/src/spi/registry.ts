import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../errors.js";
import { openAdapter as openMemory } from "../memory/memory-adapter.js";
import type { AdapterModule, AdapterOptions, StorageAdapter } from "./types.js";

type Loader = () => Promise<AdapterModule>;

const builtin: AdapterModule = { openAdapter: openMemory };

// Adapter packages are imported only when a URL names them, so opening one store never loads
// another adapter's native engine (a CLI call pays only for what it uses).
const loaders = new Map<string, Loader>([
  ["memory", async () => builtin],
  ["file", () => importAdapter("@statehouse/adapter-file")],
  ["sqlite", () => importAdapter("@statehouse/adapter-sqlite")],
  ["lmdb", () => importAdapter("@statehouse/adapter-lmdb")],
  ["postgres", () => importAdapter("@statehouse/adapter-postgres")],
  ["postgresql", () => importAdapter("@statehouse/adapter-postgres")],
]);

// A server URL's host, port, user and password are part of where the store is, so these
// adapters get the whole URL as their location rather than the path after the host.
const WHOLE_URL_SCHEMES = new Set(["postgres", "postgresql"]);

async function importAdapter(specifier: string): Promise<AdapterModule> {
  try {
    return (await import(specifier)) as AdapterModule;
  } catch (first) {
    if ((first as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw first;
    // Package managers with strict layouts (pnpm) do not let core see its sibling adapters;
    // the application that installed the adapter can, so resolve from its working directory.
    try {
      const require = createRequire(join(process.cwd(), "package.json"));
      return (await import(pathToFileURL(require.resolve(specifier)).href)) as AdapterModule;
    } catch {
      throw new ConfigError(`the adapter package ${specifier} is not installed: add it to your dependencies`, { cause: first });
    }
  }
}

/** Registers (or replaces) the adapter behind a URL scheme, e.g. a third party's `postgres:`. */
export function registerAdapter(scheme: string, load: Loader | AdapterModule): void {
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) throw new ConfigError(`invalid URL scheme ${JSON.stringify(scheme)}`);
  loaders.set(scheme, typeof load === "function" ? load : async () => load);
}

export function registeredSchemes(): string[] {
  return [...loaders.keys()];
}

/** Splits `file:./dir` into scheme and location; a bare path is refused rather than guessed. */
export function parseStoreUrl(url: string): { scheme: string; location: string } {
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/s.exec(url);
  if (m === null) {
    throw new ConfigError(`invalid store URL ${JSON.stringify(url)}: use memory:, file:DIR, sqlite:FILE or lmdb:DIR`, { details: { url } });
  }
  if (WHOLE_URL_SCHEMES.has(m[1]!)) return { scheme: m[1]!, location: url };
  let location = m[2]!;
  // Accept file:///abs/path as well as file:rel/path.
  if (location.startsWith("//")) location = decodeURIComponent(location.replace(/^\/\/[^/]*/, ""));
  return { scheme: m[1]!, location };
}

/** Opens the raw adapter behind a store URL. Most callers want `open()`, the domain API. */
export async function openAdapterUrl(url: string, options: AdapterOptions = {}): Promise<StorageAdapter> {
  const { scheme, location } = parseStoreUrl(url);
  const load = loaders.get(scheme);
  if (load === undefined) {
    throw new ConfigError(
      `unknown store scheme "${scheme}:"; known: ${registeredSchemes()
        .map((s) => `${s}:`)
        .join(", ")}`,
      {
        details: { url },
      },
    );
  }
  if (scheme !== "memory" && location === "") throw new ConfigError(`the store URL "${url}" names no location`, { details: { url } });
  const mod = await load();
  return mod.openAdapter(location, options);
}
