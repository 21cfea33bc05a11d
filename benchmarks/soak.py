"""30 up/down cycles: leftovers and time per cycle. Run: .venv/bin/python benchmarks/soak.py [N]"""

import json
import sys
from pathlib import Path

from swarmlab import engine
from swarmlab.soak import soak

cycles = int(sys.argv[1]) if len(sys.argv) > 1 else 30
r = soak(engine.connect(), cycles, name="bench-soak")
summary = {
    "cycles": cycles, "up_s": r.up_s, "down_s": r.down_s, "leftovers": r.leftovers,
    "stale_cgroups": len(r.stale_cgroups), "growth_last_vs_first_third": r.growth,
}
out = Path(__file__).parent / "results"
out.mkdir(exist_ok=True)
(out / "soak.json").write_text(json.dumps(summary, indent=2))
print(f"{cycles} cycles: up {min(r.up_s):.1f}-{max(r.up_s):.1f}s, down "
      f"{min(r.down_s):.1f}-{max(r.down_s):.1f}s, growth {r.growth:.2f}x, leftovers "
      f"{r.leftovers}, stale cgroups {len(r.stale_cgroups)}")
