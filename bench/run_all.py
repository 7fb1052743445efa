"""Run every benchmark in turn; each prints its own figures."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["schedule_lateness.py", "backtest_speed.py"]

if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    for name in BENCHES:
        print(f"== {name}", flush=True)
        sys.argv = [str(HERE / name)]
        runpy.run_path(str(HERE / name), run_name="__main__")
