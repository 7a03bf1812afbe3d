"""Lines of the results table, and the RESULTS.md page that holds them."""

import datetime
import os
import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata

MET, MISSED, NO_TARGET, PENDING = "met", "**missed**", "no target", "pending"
PACKAGES = ("numpy", "torch", "nbgrader", "nbclient", "jupyter_client", "h5py")


@dataclass
class Line:
    """One figure: a measured cost against a reference cost of the same run.

    Costs are seconds, or MiB for memory (`unit`). `ratio` is measured / reference,
    and the target, when there is one, is `ratio <= limit`. A reference that is a
    budget rather than a measurement (the 90 s of grading, a notebook's minutes)
    says so in `reference_name`.
    """

    section: str
    name: str
    measured: float | None  # None: not measured, see `note`
    reference: float | None
    reference_name: str
    limit: float | None = None  # target: measured / reference <= limit
    target_text: str = ""
    unit: str = "s"  # "s", "ms", "it/s" (stored as seconds per iteration), "MiB"
    note: str = ""

    @property
    def ratio(self):
        if self.measured is None or not self.reference:
            return None
        return self.measured / self.reference

    @property
    def verdict(self):
        if self.measured is None:
            return PENDING
        if self.limit is None:
            return NO_TARGET
        return MET if self.ratio <= self.limit else MISSED


def show(value, unit):
    """A cost in the line's unit, as the table prints it."""
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value * 1e3:.2f} ms"
    if unit == "it/s":
        return f"{1 / value:.1f} it/s"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def table(lines):
    """The markdown table of `lines`, a row each, under a heading per section."""
    out, section = [], None
    for line in lines:
        if line.section != section:
            section = line.section
            out += [
                "",
                f"### {section}",
                "",
                "| figure | measured | reference | ratio | target | verdict |",
                "|---|---|---|---|---|---|",
            ]
        ratio = "-" if line.ratio is None else f"{line.ratio:.2f}x"
        reference = "-"
        if line.reference is not None:
            reference = f"{show(line.reference, line.unit)} ({line.reference_name})"
        out.append(
            f"| {line.name} | {show(line.measured, line.unit)} | {reference} "
            f"| {ratio} | {line.target_text or '-'} | {line.verdict} |"
        )
    return out


def cpu_model():
    """The processor's model name, as lscpu gives it."""
    try:
        text = subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return platform.processor() or "unknown"
    for row in text.splitlines():
        if row.startswith("Model name:"):
            return row.split(":", 1)[1].strip()
    return "unknown"


def load_average():
    """The 1, 5 and 15 minute load averages, as text."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def versions():
    """Installed versions of the libraries the figures depend on."""
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return f"Python {platform.python_version()}, " + ", ".join(found)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def page(lines, context, method):
    """The whole RESULTS.md text: how it was measured, the tables, the notes."""
    minutes = (context.finished - context.started).total_seconds() / 60
    when = f"{context.started:%Y-%m-%d %H:%M} to {context.finished:%H:%M} UTC"
    machine = f"{cpu_model()}, {os.cpu_count()} cores"
    system = f"{platform.system()} {platform.release()}"
    load = f"{context.load_before} at the start, {context.load_after} at the end"
    head = [
        "# Performance of the kit, measured side by side",
        "",
        "Written by `make bench` (`python benchmarks/run.py`); do not edit by hand.",
        "Every ratio divides a figure by its reference, both measured in this run,",
        "so a busy machine slows both; a reference that is a budget says so.",
        "",
        f"- date: {when} ({minutes:.1f} min)",
        f"- machine: {machine}, {system}",
        f"- load average (1, 5, 15 min): {load}",
        f"- libraries: {versions()}",
        f"- BLAS: {context.blas}",
        f"- threads: {context.threads}",
    ]
    tail = ["", "## How it was measured", "", *method]
    tail += [
        "",
        "Load average (1, 5, 15 min) as each figure began:",
        "",
        *context.loads,
    ]
    if context.notes:
        tail += ["", "## Notes", "", *context.notes]
    return "\n".join(head + table(lines) + explained(lines) + tail) + "\n"


def explained(lines):
    """Why each missed figure missed, and why each pending one is pending."""
    out = []
    for verdict, title in ((MISSED, "Misses, and why"), (PENDING, "Pending")):
        by_note = {}  # one explanation for every line that shares it
        for line in lines:
            if line.verdict == verdict:
                figure = line.name
                if line.reference is not None:
                    figure += f" (against {line.reference_name})"
                by_note.setdefault(line.note or "not explained", []).append(figure)
        if by_note:
            out += ["", f"## {title}", ""]
            out += [f"- {'; '.join(names)}: {note}" for note, names in by_note.items()]
    return out
