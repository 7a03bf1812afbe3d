"""Feedback that shows students their verdicts and none of the hidden tests' code.

nbgrader's ClearHiddenTests removes the hidden region from a test cell's source, but
an error in that cell still prints a traceback that quotes the lines around it,
hidden ones included. This preprocessor shortens such tracebacks to the error's type
and message, which say what went wrong without quoting any test code.
"""

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool


class ShortTestTracebacks(Preprocessor):
    """Replace the traceback of an error in a test cell by its last line."""

    enabled = Bool(True, help="nbconvert runs only enabled preprocessors").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources
