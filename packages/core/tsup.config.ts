import { defineConfig } from "tsup";

export default defineConfig({
  // errors.ts is its own entry so the remote client can load the error classes without the query engine.
  entry: ["src/index.ts", "src/errors.ts"],
  format: ["esm"],
  target: "node20",
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
});
