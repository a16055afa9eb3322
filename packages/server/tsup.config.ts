import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

export default defineConfig({
  entry: ["src/index.ts"],
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
