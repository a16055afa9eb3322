import { readText } from "./io/files.js";

/** The package version, read from package.json only when asked. */
export async function version(): Promise<string> {
  const pkg = JSON.parse(await readText(new URL("../package.json", import.meta.url))) as { version: string };
  return pkg.version;
}
