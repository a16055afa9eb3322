/** A report as renderer-neutral blocks, so the markdown and the HTML say exactly the same. */
export type Block =
  | { readonly kind: "heading"; readonly level: 1 | 2 | 3; readonly text: string }
  | { readonly kind: "para"; readonly text: string }
  | { readonly kind: "list"; readonly items: readonly string[] }
  | { readonly kind: "table"; readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] }
  | { readonly kind: "chart"; readonly title: string; readonly spec: ChartSpec }
  | { readonly kind: "details"; readonly summary: string; readonly blocks: readonly Block[] };

/** A vega-lite spec (kept loose: vega-lite's own type is huge and only the renderer needs it). */
export type ChartSpec = Record<string, unknown>;
