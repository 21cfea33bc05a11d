"""What a class costs this host, from figures measured here, and the largest that fits.

Measured on this project's machine (2 cores, 24 GiB, Debian 12, cgroup v1, docker.io 20.10
as the host engine), with ``scripts/measure_student.py`` (one student's parts, one after
the other, on an otherwise busy shared host):

- **nodes**: a default 1+2 dind cluster after ``start_lab("03")`` with a 3-replica web
  service running: 190 MiB for the three nodes (``docker stats --no-stream`` memory
  usage, the worst of three samples). CPU: 1.14 % of one core per cluster, idle, from
  ``scripts/measure_class_capacity.py 54`` (54 clusters, 162 nodes, every one Ready, a
  check answering in 0.11 s median and 0.42 s at worst; the nodes' own cgroup CPU time
  over a minute, so other work on the host does not count; 176 MiB per cluster there).
  A first estimate from three ``docker stats`` samples of one cluster said 4.4 %: its
  samples caught the swarm still settling, and it capped a class at 34 where 54 held.
- **kernel**: a ``python3`` ipykernel that imported swarmlab, ran ``start_lab("03")`` and
  the lab's checks: 79 MiB RSS (``/proc/PID/status`` VmRSS, with its children), 0.0 %
  CPU idle over 30 s (``/proc/PID/stat`` utime+stime).
- **server**: a student's ``jupyterhub-singleuser`` JupyterLab server on a running class
  (``swarmlab class up --students 2``), after login and spawn: 133 MiB RSS (/proc VmRSS);
  a plain ``jupyter lab`` after serving the lab page, kernel specs, contents and settings
  was 87 MiB and 0.0 % CPU idle over 20 s.
- **shared**: the hub, its proxy and the board service, once per class, on that running
  class: 141 + 57 + 97 = 295 MiB RSS (/proc VmRSS of the three processes).

A student then needs 402 MiB and 1.2 % of a core: memory is what limits a class here. The
plan keeps a reserve (1 GiB of memory, a quarter of the cores) for the instructor, the host
and bursts (``start_lab`` re-forming a swarm takes a core for a few seconds), and plans
from the memory available now (``MemAvailable``), so other work on the host counts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from swarmlab import host
from swarmlab.errors import CapabilityMissing

NODES_MIB, KERNEL_MIB, SERVER_MIB = 190, 79, 133
STUDENT_MIB = NODES_MIB + KERNEL_MIB + SERVER_MIB
STUDENT_CPU_PCT = 1.2  # percent of one core, idle between commands (1.14 measured)
SHARED_MIB = 300  # hub + proxy + board, once per class
RESERVE_MIB = 1024
CPU_HEADROOM = 0.75  # plan to use three quarters of the cores


@dataclass(frozen=True)
class Plan:
    """A class of ``students`` on a host with ``available_mib`` and ``cores``."""

    students: int
    available_mib: int
    cores: int

    @property
    def need_mib(self) -> int:
        return SHARED_MIB + self.students * STUDENT_MIB

    @property
    def need_cpu_pct(self) -> float:
        return self.students * STUDENT_CPU_PCT

    @property
    def largest(self) -> int:
        """The most students this host holds: memory and CPU both."""
        by_mem = (self.available_mib - RESERVE_MIB - SHARED_MIB) // STUDENT_MIB
        by_cpu = int(self.cores * 100 * CPU_HEADROOM // STUDENT_CPU_PCT)
        return max(0, min(by_mem, by_cpu))

    @property
    def fits(self) -> bool:
        return 1 <= self.students <= self.largest

    def lines(self) -> list[str]:
        return [
            f"a class of {self.students}: {self.need_mib} MiB memory "
            f"({self.students} x {STUDENT_MIB} MiB per student + {SHARED_MIB} MiB hub, proxy "
            f"and board) and {self.need_cpu_pct:.0f} % of one core idle "
            f"({STUDENT_CPU_PCT} % per student)",
            f"per student: {NODES_MIB} MiB nodes (1+2), {KERNEL_MIB} MiB kernel, "
            f"{SERVER_MIB} MiB JupyterLab server",
            f"this host: {self.available_mib} MiB available now, {self.cores} cores; keeping "
            f"{RESERVE_MIB} MiB and {100 - CPU_HEADROOM * 100:.0f} % of the cores in reserve",
            f"largest class this host holds: {self.largest} students"
            + ("" if self.fits else f"  -> {self.students} does NOT fit"),
        ]


def available_mib() -> int:
    return host.mem_available_mib()


def plan(students: int, available: int | None = None, cores: int | None = None) -> Plan:
    """The plan for ``students`` on this host (or on the figures given)."""
    return Plan(students, available_mib() if available is None else available,
                (os.cpu_count() or 1) if cores is None else cores)


def check_fits(students: int, available: int | None = None, cores: int | None = None) -> None:
    """Refuse a class this host cannot hold, naming the largest that it can."""
    p = plan(students, available, cores)
    if not p.fits:
        raise CapabilityMissing(
            f"a class of {students} needs about {p.need_mib} MiB and {p.need_cpu_pct:.0f} % "
            f"of a core; this host holds at most {p.largest} students now "
            f"({p.available_mib} MiB available, {p.cores} cores). Use --students "
            f"{p.largest} (or a shorter roster), or a bigger host.")
