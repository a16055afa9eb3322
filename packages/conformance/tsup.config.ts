import { defineConfig } from "tsup";

export default defineConfig({
  // child.ts is the script the multi-process clauses spawn: it ships beside index.js in dist.
  entry: ["src/index.ts", "src/child.ts"],
  format: ["esm"],
  target: "node20",
  dts: { entry: ["src/index.ts"] },
  clean: true,
  sourcemap: true,
  splitting: true,
});
