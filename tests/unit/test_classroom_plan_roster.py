"""Classroom: the roster and the plan's arithmetic."""

from __future__ import annotations

import pytest

from swarmlab.classroom import plan, roster
from swarmlab.errors import CapabilityMissing, SpecError


def test_numbered_students_sort_and_need_at_least_one():
    assert roster.numbered(3) == ["student01", "student02", "student03"]
    assert roster.numbered(120)[0] == "student001"
    with pytest.raises(SpecError, match="1 or more"):
        roster.numbered(0)


def test_a_roster_is_one_name_a_line_with_comments_and_blank_lines_ignored():
    assert roster.parse("# class A\nAlice\n\nbob  # late\n") == ["alice", "bob"]


def test_a_roster_with_duplicates_and_invalid_names_names_every_bad_line():
    with pytest.raises(SpecError) as e:
        roster.parse("alice\nbob smith\nalice\n9lives\ninstructor\n")
    said = str(e.value)
    assert "line 2" in said and "'bob smith'" in said
    assert "line 3: 'alice' is already on line 1" in said
    assert "line 4" in said and "line 5" in said and "instructor" in said


def test_an_empty_or_missing_roster_is_a_clear_error(tmp_path):
    with pytest.raises(SpecError, match="names no student"):
        roster.parse("# nobody\n")
    with pytest.raises(SpecError, match="cannot read the roster"):
        roster.read(tmp_path / "nope.txt")


def test_cluster_names_must_fit_in_a_lab_name():
    roster.check_lab_names("c1", ["student01"])
    with pytest.raises(SpecError, match="shorter class name"):
        roster.check_lab_names("a-long-class-name", ["student01"])


def test_the_plan_adds_measured_per_student_figures_to_the_shared_ones():
    p = plan.plan(10, available=16000, cores=2)
    assert p.need_mib == plan.SHARED_MIB + 10 * plan.STUDENT_MIB
    assert plan.STUDENT_MIB == plan.NODES_MIB + plan.KERNEL_MIB + plan.SERVER_MIB
    assert p.need_cpu_pct == pytest.approx(10 * plan.STUDENT_CPU_PCT)
    assert p.fits and "largest class this host holds" in "\n".join(p.lines())


def test_the_largest_class_is_bound_by_memory_or_by_cpu_whichever_is_less():
    by_mem = (8000 - plan.RESERVE_MIB - plan.SHARED_MIB) // plan.STUDENT_MIB
    assert plan.plan(1, available=8000, cores=64).largest == by_mem
    by_cpu = int(1 * 100 * plan.CPU_HEADROOM // plan.STUDENT_CPU_PCT)
    assert plan.plan(1, available=10**6, cores=1).largest == by_cpu
    assert plan.plan(1, available=100, cores=2).largest == 0


def test_a_class_that_does_not_fit_is_refused_naming_the_largest_that_does():
    largest = plan.plan(1, available=4000, cores=2).largest
    with pytest.raises(CapabilityMissing, match=f"--students {largest}"):
        plan.check_fits(largest + 1, available=4000, cores=2)
    plan.check_fits(largest, available=4000, cores=2)
