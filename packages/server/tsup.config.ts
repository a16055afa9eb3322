import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

export default defineConfig({
  // daemon: the process around the app (`@statehouse/server/daemon`); locate: finding a store's
  // daemon without the framework (`@statehouse/server/locate`, read by the CLI on every command).
  entry: { index: "src/index.ts", daemon: "src/daemon/index.ts", locate: "src/daemon/locate-entry.ts" },
  format: ["esm"],
  target: "node20",
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  // The web page's static files: src/web/public/ui/* → dist/ui/*, read by the web plugin at run time.
  publicDir: "src/web/public",
  // The health route reports the package version without reading package.json at run time.
  define: { __STATEHOUSE_SERVER_VERSION__: JSON.stringify(version) },
});
