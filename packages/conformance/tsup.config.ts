import { defineConfig } from "tsup";

export default defineConfig({
  // child.ts is the script the multi-process clauses spawn: it ships beside index.js in dist.
  // testing/ is the shared test kit, published as @statehouse/conformance/testing.
  entry: { index: "src/index.ts", child: "src/child.ts", testing: "src/testing/index.ts" },
  format: ["esm"],
  target: "node20",
  dts: { entry: { index: "src/index.ts", testing: "src/testing/index.ts" } },
  clean: true,
  sourcemap: true,
  splitting: true,
});
