"""Print the whole ./test.sh run's time per tier and its one closing count line.

``./test.sh`` runs pytest in phases (the VM lane in the background; the dind lanes, then
the tests that restart the host's engine); each phase appends its tier rows
(tests/conftest.py) to the JSON-lines file named on the command line. A tier in two phases
adds up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUTCOMES = ("passed", "failed", "skipped", "error")


def mmss(seconds: float) -> str:
    return f"{int(seconds // 60):d}:{int(seconds % 60):02d}"


def main(path: str, total_seconds: float) -> int:
    tiers: dict[str, dict[str, float]] = {}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        row = json.loads(line)
        t = tiers.setdefault(row["tier"], {})
        for k, v in row.items():
            if k != "tier":
                t[k] = t.get(k, 0) + v
    print("\n[swarmlab] time per tier (wall: first test start to last test end, in each phase; "
          "busy: the tests' own time)")
    print(f"  {'tier':<12}{'wall':>8}{'busy':>8}  tests")
    for name, t in tiers.items():
        counts = ", ".join(f"{int(t[k])} {k}" for k in OUTCOMES if t.get(k))
        print(f"  {name:<12}{mmss(t.get('wall', 0)):>8}{mmss(t.get('busy', 0)):>8}  {counts}")
    print(f"  {'whole run':<12}{mmss(total_seconds):>8}")
    total = {k: int(sum(t.get(k, 0) for t in tiers.values())) for k in OUTCOMES}
    line = f"{total['passed']} passed, {total['failed'] + total['error']} failed"
    if total["skipped"]:
        line += f", {total['skipped']} skipped"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
