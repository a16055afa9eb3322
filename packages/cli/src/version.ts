import { readFile } from "node:fs/promises";

/** The package version, read from package.json only when asked. */
export async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
