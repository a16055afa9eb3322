#!/usr/bin/python3
"""A stand-in for the v2 system statehouse replaces, written from the seed report's description.

The v2 system was a set of Python scripts started once per hook event: JSON files under one
state directory (~/.claude/state/), a file lock around every write (filelock), JSONPath queries
(jsonpath-ng, here its Debian-packaged parent jsonpath-rw with the -ext filters), pydantic
models for the project config, and rich for tables. This script does the same work the same
way, so that its whole-process times can be measured beside statehouse's in one run on one
machine. It is a benchmark peer, not a product: it keeps v2's behaviour, including its
weaknesses (whole-file rewrites, one global lock).

Usage: statehouse_v2.py STATE_DIR COMMAND [ARGS]
  state query JSONPATH          print the matches as JSON
  state update JSONPATH_FIELD VALUE_JSON   set a top-level-path field (dotted) under the lock
  session create NAME           write sessions/<id>.json, print the id
  session list                  a rich table of every session
  config get PROJECT            load and validate config/<project>.json, print it
"""

import json
import os
import sys
import time
import uuid

# Each v2 script imported only what its command needed (a query never loaded rich or
# pydantic), so the imports are per command here too.


def jsonpath_parse(expression):
    # Plain paths with jsonpath-rw, as jsonpath-ng parses them; filters need the -ext grammar.
    # (Debian's jsonpath-rw-ext imports pbr → pkg_resources at start-up, ~0.2 s that v2's
    # jsonpath-ng did not pay, so it is loaded only when a filter asks for it.)
    if "?" in expression:
        from jsonpath_rw_ext import parse
    else:
        from jsonpath_rw import parse
    return parse(expression)


def file_lock(path):
    from filelock import FileLock

    return FileLock(path, timeout=10)


def read_json(path, default):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def write_json_atomic(path, value):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def state_query(root, expression):
    state = read_json(os.path.join(root, "state.json"), {})
    matches = [m.value for m in jsonpath_parse(expression).find(state)]
    print(json.dumps(matches))


def state_update(root, dotted, raw):
    value = json.loads(raw)
    path = os.path.join(root, "state.json")
    with file_lock(os.path.join(root, "state.lock")):
        state = read_json(path, {})
        node = state
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
        write_json_atomic(path, state)
    print(json.dumps({"ok": True}))


def session_create(root, name):
    sessions = os.path.join(root, "sessions")
    os.makedirs(sessions, exist_ok=True)
    sid = uuid.uuid4().hex
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    record = {"id": sid, "name": name, "status": "active", "createdAt": now, "updatedAt": now, "metadata": {}}
    with file_lock(os.path.join(root, "sessions.lock")):
        write_json_atomic(os.path.join(sessions, f"{sid}.json"), record)
    print(sid)


def session_list(root):
    from rich.console import Console
    from rich.table import Table

    sessions = os.path.join(root, "sessions")
    rows = []
    for name in sorted(os.listdir(sessions)) if os.path.isdir(sessions) else []:
        if name.endswith(".json"):
            rows.append(read_json(os.path.join(sessions, name), {}))
    table = Table(title="Sessions")
    for column in ("id", "name", "status", "created"):
        table.add_column(column)
    for r in sorted(rows, key=lambda r: r.get("createdAt", ""), reverse=True):
        table.add_row(r.get("id", ""), r.get("name", ""), r.get("status", ""), r.get("createdAt", ""))
    Console(width=120).print(table)


def config_get(root, project):
    from pydantic import BaseModel, Field

    class ProjectConfig(BaseModel):
        name: str
        maxConcurrentAgents: int = Field(default=4, ge=1)
        heartbeatTimeoutSeconds: int = Field(default=60, ge=1)
        defaultModel: str = "default"

    raw = read_json(os.path.join(root, "config", f"{project}.json"), None)
    if raw is None:
        print(f"no config for {project}", file=sys.stderr)
        sys.exit(3)
    print(ProjectConfig(**raw).json())


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, group, command, args = argv[0], argv[1], argv[2], argv[3:]
    os.makedirs(root, exist_ok=True)
    if (group, command) == ("state", "query") and len(args) == 1:
        state_query(root, args[0])
    elif (group, command) == ("state", "update") and len(args) == 2:
        state_update(root, args[0], args[1])
    elif (group, command) == ("session", "create") and len(args) == 1:
        session_create(root, args[0])
    elif (group, command) == ("session", "list") and not args:
        session_list(root)
    elif (group, command) == ("config", "get") and len(args) == 1:
        config_get(root, args[0])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
