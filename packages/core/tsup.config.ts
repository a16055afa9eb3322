import { defineConfig } from "tsup";

export default defineConfig({
  // errors.ts and validation.ts are entries of their own so the remote client can load them without the query engine.
  entry: ["src/index.ts", "src/errors.ts", "src/validation.ts"],
  format: ["esm"],
  target: "node20",
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
});
