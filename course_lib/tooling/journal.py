"""The batch journal: one line per notebook graded, appended after its grade is in
the gradebook, so an interrupted batch knows what it already did.

`batches/<assignment>/journal.jsonl` at the course root. A line is a JSON object:
student, notebook, fingerprint (of the submitted files), status, seconds, score,
max_score, problems (list of lines for a TA) and finished (UTC time). The last
line of a notebook wins. A line cut short by a crash is skipped when read.
"""

import datetime
import json
import os
from pathlib import Path


def folder(root, assignment):
    return Path(root) / "batches" / assignment


def path(root, assignment):
    return folder(root, assignment) / "journal.jsonl"


def append(root, assignment, entry):
    """Add `entry` (a dict) and make it durable before returning."""
    target = path(root, assignment)
    target.parent.mkdir(parents=True, exist_ok=True)
    entry = dict(entry, finished=datetime.datetime.now(datetime.UTC).isoformat())
    with target.open("a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


def entries(root, assignment):
    """(student, notebook) -> the latest entry for it."""
    target = path(root, assignment)
    latest = {}
    if not target.exists():
        return latest
    for line in target.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        latest[(entry["student"], entry["notebook"])] = entry
    return latest
