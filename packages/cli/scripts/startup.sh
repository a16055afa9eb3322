#!/usr/bin/env bash
# Start-up of `statehouse state get` per adapter against `node -e 0`, measured with hyperfine.
# Usage: packages/cli/scripts/startup.sh [RUNS]   (build first: cd packages/cli && npx tsup)
set -euo pipefail
runs="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../bin/statehouse.js"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (apt-get install hyperfine)"; exit 1; }
for url in "file:$dir/file" "sqlite:$dir/store.db" "lmdb:$dir/lmdb"; do
  node "$bin" --store "$url" state set /phase '"review"' >/dev/null
done
hyperfine -N --warmup 10 --runs "$runs" --export-markdown "$dir/startup.md" --export-json "$dir/startup.json" \
  -n 'node -e 0' 'node -e 0' \
  -n 'state get (file)' "node $bin --store file:$dir/file state get /phase" \
  -n 'state get (sqlite)' "node $bin --store sqlite:$dir/store.db state get /phase" \
  -n 'state get (lmdb)' "node $bin --store lmdb:$dir/lmdb state get /phase" \
  -n 'state get (memory)' "node $bin --store memory: state get /phase --default 0" >/dev/null
cat "$dir/startup.md"
# CPU time (user + system) per run: less sensitive than wall time to other processes on a busy machine.
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
const cpu = (x) => (x.user + x.system) * 1000;
const base = cpu(r[0]);
console.log("\n| Command | median wall [ms] | mean CPU [ms] | CPU relative |\n|:---|---:|---:|---:|");
for (const x of r) console.log(`| \`${x.command}\` | ${(x.median * 1000).toFixed(1)} | ${cpu(x).toFixed(1)} | ${(cpu(x) / base).toFixed(2)} |`);
' "$dir/startup.json"
