"""nbgrader's Execute preprocessor with a cap on the output it keeps.

nbgrader keeps every byte a cell prints in memory and in the autograded notebook
(its LimitOutput trims only after execution), so a student's cell that prints
gigabytes exhausts the grader's memory and disk. `CappedExecute` keeps at most
`max_output_bytes` of printed and displayed output per cell; past that it drops
the rest and adds one line that says so. Errors and a cell's result are always
kept (shortened if huge): they decide the cell's score, and a flood printed before
a failed check must not hide the failure. Output on stderr that is kept still
zeroes a test cell, as nbgrader scores it.

Set it in place of Execute:

    c.Autograde.autograde_preprocessors = [CappedExecute, ... the rest as nbgrader's]
"""

import json

from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

SCORED = ("error", "execute_result")
MARK = "output truncated by the grader"
TRUNCATED = "\n[" + MARK + ": this cell printed more than {} KiB]\n"


class CappedExecute(Execute):
    max_output_bytes = Integer(
        1024 * 1024, help="Output kept per cell, in bytes; the rest is dropped."
    ).tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept = {}  # cell index -> bytes of output kept
        self._truncated = set()

    def preprocess(self, nb, resources=None, km=None):
        self._kept, self._truncated = {}, set()
        return super().preprocess(nb, resources, km=km)

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] in SCORED:
            _shorten(msg["content"], self.max_output_bytes)
            return super().output(outs, msg, display_id, cell_index)
        if cell_index in self._truncated:
            return None
        size = len(json.dumps(msg["content"], default=str))
        kept = self._kept.get(cell_index, 0)
        if kept + size <= self.max_output_bytes:
            self._kept[cell_index] = kept + size
            return super().output(outs, msg, display_id, cell_index)
        self._truncated.add(cell_index)
        note = TRUNCATED.format(self.max_output_bytes // 1024)
        outs.append(new_output("stream", name="stdout", text=note))
        return None


def _shorten(content, limit):
    """Cut the text of an error or result message to about `limit` characters."""
    if "traceback" in content:
        lines, total = [], 0
        for line in content["traceback"]:
            total += len(line)
            if total > limit:
                lines.append("[traceback truncated by the grader]")
                break
            lines.append(line)
        content["traceback"] = lines
    if isinstance(content.get("evalue"), str):
        content["evalue"] = content["evalue"][:limit]
    data = content.get("data") or {}
    for kind, value in data.items():
        if isinstance(value, str):
            data[kind] = value[:limit]
