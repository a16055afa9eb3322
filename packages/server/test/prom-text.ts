/** One sample line of the Prometheus text format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition: samples, and the TYPE declared for each family. */
export interface Exposition {
  readonly samples: readonly Sample[];
  readonly types: ReadonlyMap<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)/y;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)|[+-]Inf|NaN)$/i;

function unescapeLabel(v: string): string {
  return v.replace(/\\(["\\n])/g, (_m, c: string) => (c === "n" ? "\n" : c));
}

/**
 * A strict parser of the Prometheus text format 0.0.4: every line must be a HELP, a TYPE, a comment or a
 * well-formed sample; anything else throws with the line. (The npm parser tried first drops histogram labels.)
 */
export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${line}`);
    };
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (m === null) continue;
      if (!NAME.test(m[2]!)) fail("bad metric name");
      if (m[1] === "TYPE") {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(m[3] ?? "")) fail("bad type");
        if (types.has(m[2]!)) fail("TYPE declared twice");
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (m === null) {
      fail("not a sample");
      continue;
    }
    const labels: Record<string, string> = {};
    if (m[3] !== undefined && m[3] !== "") {
      const body = `${m[3]}`;
      LABEL.lastIndex = 0;
      let at = 0;
      while (at < body.length) {
        LABEL.lastIndex = at;
        const l = LABEL.exec(body);
        if (l === null) fail("bad labels");
        if (l![1]! in labels) fail("label repeated");
        labels[l![1]!] = unescapeLabel(l![2]!);
        at = LABEL.lastIndex;
      }
    }
    if (!VALUE.test(m[4]!)) fail("bad value");
    samples.push({ name: m[1]!, labels, value: Number(m[4]!.replace(/Inf$/i, "Infinity")) });
  }
  return { samples, types };
}

/** The one sample named `name` whose labels include `labels`; throws when there is none or several. */
export function one(exp: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exp.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}
