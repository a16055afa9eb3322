/** ANSI styling that honours NO_COLOR, FORCE_COLOR and whether the stream is a terminal. */
export interface Colors {
  readonly enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  cyan(text: string): string;
}

/**
 * FORCE_COLOR (any value but `0` or `false`) wins, as in Node itself; then NO_COLOR (any
 * non-empty value, per no-color.org) turns colour off; otherwise colour only on a terminal
 * whose TERM is not `dumb`.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return stream.isTTY === true && env.TERM !== "dumb";
}

export function makeColors(enabled: boolean): Colors {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return {
    enabled,
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The printed width of a string (ANSI codes take no room; every other code point one column). */
export function visibleWidth(text: string): number {
  let n = 0;
  for (const _ of text.replace(ANSI, "")) n++;
  return n;
}
