import { defineConfig } from "tsup";

export default defineConfig({
  // errors.ts and validation.ts are entries of their own so the remote client can load them without the query engine.
  // `spi` is the adapter authors' entry. One shared chunk graph (splitting): the error classes and the adapter
  // registry are one module instance whichever entry imports them.
  entry: { index: "src/index.ts", spi: "src/spi/index.ts", errors: "src/errors.ts", validation: "src/validation.ts" },
  format: ["esm"],
  target: "node20",
  // Planning methods (`planX`) are marked @internal: the published types leave them out.
  dts: { compilerOptions: { stripInternal: true } },
  clean: true,
  sourcemap: true,
  splitting: true,
});
