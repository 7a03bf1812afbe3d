"""Time to load each embedded dataset, cold (generated into the run's data folder,
empty at the start) and warm (read back from it), each in a fresh Python process.

The process imports the library before its clock starts, so a figure is the load
alone. The SqueezeNet weights ship inside the library: nothing is generated, and
cold differs from warm only by the operating system's file cache.
"""

import json
import os
import subprocess
import sys

from .report import Line

SECTION = "Data: load time, cold against warm"

# name -> (import statement, the call that loads the dataset)
LOADERS = {
    "COCO-style captions, load_coco_data()": (
        "from course_lib.coco_utils import load_coco_data",
        "load_coco_data()",
    ),
    "drawn shapes, load_imagenet_val()": (
        "from course_lib.data_utils import load_imagenet_val",
        "load_imagenet_val()",
    ),
    "digits, Digits('train')": (
        "from course_lib.digits import Digits",
        "Digits('train')",
    ),
    "SqueezeNet weights, load_pretrained()": (
        "from course_lib.squeezenet import load_pretrained",
        "load_pretrained()",
    ),
}

TIMER = """
import json, time
{statement}
started = time.perf_counter()
{call}
print(json.dumps(time.perf_counter() - started))
"""


def measure(context):
    lines = []
    for name, (statement, call) in LOADERS.items():
        cold = load_seconds(statement, call, context.data_home)
        warm = min(load_seconds(statement, call, context.data_home) for _ in range(2))
        lines.append(Line(SECTION, f"{name}, cold", cold, warm, "warm, best of 2"))
    return lines


def load_seconds(statement, call, data_folder):
    """Seconds one fresh process takes for `call`, with COURSE_LIB_DATA set."""
    env = dict(os.environ, COURSE_LIB_DATA=str(data_folder))
    script = TIMER.format(statement=statement, call=call)
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{call} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])
