"""Check results, reports, the registry and run_checks, without Docker."""

from __future__ import annotations

import json

import pytest

import swarmlab
from swarmlab.checks import CheckResult, Report, Status, list_checks, run_checks
from swarmlab.checks.base import MIME_TYPE, REGISTRY, CheckContext, register
from swarmlab.errors import SpecError
from tests.fixtures.recorded import fake_lab, snapshot

FAIL = CheckResult("01.promote", Status.FAIL, "You promoted worker1, not worker2.",
                   "on manager1: `docker node demote worker1`", {"nodes": {"worker1": "m"}},
                   "Promote worker2 to manager")
PASS = CheckResult("01.init", Status.PASS, "manager1 is the Leader.")
SKIP = CheckResult("08.mesh", Status.SKIP, "Skipped: no IPVS.", "sudo modprobe ip_vs")


def test_result_prints_status_id_message_and_hint_for_terminals():
    text = str(FAIL)
    assert text.startswith("[FAIL] 01.promote: You promoted worker1, not worker2.")
    assert "Hint: on manager1: `docker node demote worker1`" in text
    assert str(PASS) == "[PASS] 01.init: manager1 is the Leader."


def test_result_renders_a_coloured_badge_hint_and_collapsible_details():
    page = FAIL._repr_html_()
    assert "#c62828" in page and ">FAIL<" in page and "Hint: on manager1" in page
    assert "<details" in page and "worker1" in page
    assert "#2e7d32" in PASS._repr_html_() and "<details" not in PASS._repr_html_()
    assert "#757575" in SKIP._repr_html_()


def test_repr_is_one_readable_line_and_json_says_status_id_message_and_hint():
    assert repr(FAIL) == ("[FAIL] 01.promote: You promoted worker1, not worker2. "
                          "(Hint: on manager1: `docker node demote worker1`)")
    assert repr(PASS) == "[PASS] 01.init: manager1 is the Leader."
    assert "\n" not in repr(CheckResult("x.y", Status.FAIL, "two\nlines", "a\nb"))
    bundle = FAIL._repr_mimebundle_()
    assert list(bundle) == [MIME_TYPE] and MIME_TYPE != "application/json"
    assert bundle[MIME_TYPE] == {
        "id": "01.promote", "status": "FAIL", "message": "You promoted worker1, not worker2.",
        "hint": "on manager1: `docker node demote worker1`",
        "title": "Promote worker2 to manager"}
    json.dumps(bundle)  # details (anything) are left out: always serialisable


def test_jupyter_gets_text_html_and_json_from_a_result_and_a_report():
    from IPython.core.formatters import DisplayFormatter

    shown, _ = DisplayFormatter().format(FAIL)
    assert set(shown) == {"text/plain", "text/html", MIME_TYPE}
    assert shown["text/plain"] == repr(FAIL) and ">FAIL<" in shown["text/html"]
    report = Report((PASS, FAIL, SKIP))
    shown, _ = DisplayFormatter().format(report)
    assert set(shown) == {"text/plain", "text/html", MIME_TYPE}
    assert shown["text/plain"].splitlines() == [repr(PASS), repr(FAIL), repr(SKIP),
                                                "1/3 passed, 1 failed, 1 skipped"]
    data = shown[MIME_TYPE]
    assert data["passed"] is False and data["counts"] == {"PASS": 1, "FAIL": 1, "SKIP": 1}
    assert [r["id"] for r in data["results"]] == ["01.init", "01.promote", "08.mesh"]
    assert data["results"][2] == {"id": "08.mesh", "status": "SKIP",
                                  "message": "Skipped: no IPVS.", "hint": "sudo modprobe ip_vs",
                                  "title": ""}


def test_html_escapes_what_came_from_the_cluster():
    evil = CheckResult("x.y", Status.FAIL, "<script>alert(1)</script>", "a & b")
    page = evil._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page and "a &amp; b" in page


def test_report_passes_when_nothing_failed_and_skips_do_not_count_as_failures():
    assert Report((PASS, SKIP)).passed
    assert not Report((PASS, FAIL)).passed
    report = Report((PASS, FAIL, SKIP))
    assert report.counts() == {"PASS": 1, "FAIL": 1, "SKIP": 1}
    assert report["01.promote"] is FAIL and report[0] is PASS and len(report) == 3
    assert str(report).endswith("1/3 passed, 1 failed, 1 skipped")
    assert report._repr_html_().count("<details") == 1


def test_every_exercise_of_labs_00_and_01_is_registered_in_curriculum_order():
    assert [c.id for c in list_checks("00")] == ["00.hello"]
    assert [c.id for c in list_checks("01")] == [
        "01.init", "01.join", "01.leave-rm", "01.promote", "01.demote"]
    assert all(c.title for c in list_checks())


def test_unknown_id_names_the_close_ones():
    with pytest.raises(SpecError, match="01.init"):
        run_checks(fake_lab(), ["01.int"], snapshot=snapshot("joined-1m2w"))


def test_a_parameter_no_check_takes_is_refused():
    with pytest.raises(SpecError, match="takes no parameter 'nod'"):
        run_checks(fake_lab(), ["01.promote"], snapshot=snapshot("joined-1m2w"), nod="x")


def test_one_id_gives_a_result_and_a_lab_number_gives_a_report():
    lab, snap = fake_lab(), snapshot("worker2-promoted")
    one = run_checks(lab, ["01.promote"], snapshot=snap)
    assert isinstance(one, CheckResult) and one.passed
    report = run_checks(lab, ["01"], snapshot=snap)
    assert isinstance(report, Report) and [r.id for r in report][:2] == ["01.init", "01.join"]


def test_params_come_from_the_call_then_the_lab_then_the_defaults():
    snap = snapshot("worker1-promoted")
    lab = fake_lab()
    assert not run_checks(lab, ["01.promote"], snapshot=snap).passed  # default worker2
    assert run_checks(lab, ["01.promote"], snapshot=snap, node="worker1").passed
    lab.params = {"node": "worker1", "update_delay": "2s"}
    assert run_checks(lab, ["01.promote"], snapshot=snap).passed


def test_the_checks_of_one_run_share_one_snapshot():
    seen: list[int] = []

    @register("99.probe-a", title="t", lab="99")
    def probe_a(ctx: CheckContext) -> CheckResult:
        seen.append(id(ctx.snapshot))
        return ctx.ok("a")

    @register("99.probe-b", title="t", lab="99")
    def probe_b(ctx: CheckContext) -> CheckResult:
        seen.append(id(ctx.snapshot))
        return ctx.skip("nothing", "none")

    try:
        report = run_checks(fake_lab(), ["99"], snapshot=snapshot("joined-1m2w"))
        assert len(set(seen)) == 1
        assert [r.status for r in report] == [Status.PASS, Status.SKIP]
        assert report[1].message == "Skipped: nothing."
    finally:
        REGISTRY.pop("99.probe-a")
        REGISTRY.pop("99.probe-b")


def test_registering_two_checks_under_one_id_is_a_bug():
    with pytest.raises(ValueError, match="twice"):
        register("01.init", title="again", lab="01")(lambda ctx: PASS)


def test_check_is_public():
    assert "check" in swarmlab.__all__ and callable(swarmlab.check)


def test_a_stopped_node_probe_is_a_result_not_an_exception():
    ctx = CheckContext(fake_lab(stopped=("worker1",)))
    res = ctx.probe("worker1", "true")
    assert res.exit_code == -1 and "stopped" in res.stderr
    assert ctx.stopped() == ["worker1"]


def test_refresh_reads_the_cluster_again_and_keeps_the_machine_states_unless_asked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import swarmlab.state

    first, second = snapshot("joined-1m2w"), snapshot("worker2-promoted")
    reads: list[object] = []

    def take(lab: object) -> object:
        reads.append(lab)
        return second

    monkeypatch.setattr(swarmlab.state, "take_snapshot", take)
    lab = fake_lab()
    ctx = CheckContext(lab, snapshot=first)
    assert ctx.snapshot is first and not reads
    assert ctx.stopped() == []
    lab.provider._states["worker1"] = "exited"  # type: ignore[attr-defined]
    assert ctx.refresh() is second and ctx.snapshot is second and reads == [lab]
    assert ctx.stopped() == []  # the machine states of the first read
    assert ctx.refresh(machines=True) is second and len(reads) == 2
    assert ctx.stopped() == ["worker1"]


def test_a_check_that_needs_something_gets_it_or_its_fail_is_the_verdict():
    from swarmlab.checks.common import needs

    seen: list[str] = []

    def find(ctx: CheckContext) -> str | CheckResult:
        return ctx.fail("no web", "create it") if ctx.params.get("missing") else "web"

    @needs(find)
    def uses(ctx: CheckContext, name: str) -> CheckResult:
        """Says which service it got."""
        seen.append(name)
        return ctx.ok(f"got {name}")

    assert uses.__name__ == "uses" and uses.__doc__ == "Says which service it got."
    assert uses(CheckContext(fake_lab())).message == "got web" and seen == ["web"]
    res = uses(CheckContext(fake_lab(), {"missing": True}))
    assert res.status is Status.FAIL and res.hint == "create it" and seen == ["web"]


def test_settled_service_gives_the_service_or_says_there_is_no_swarm_or_no_service():
    from swarmlab.checks.workload import settled_service

    def ctx(name: str) -> CheckContext:
        return CheckContext(fake_lab(), {"settle_s": 0}, snapshot(name))

    snap_svc = settled_service(ctx("services"), "web", "create web", "start the lab")
    assert not isinstance(snap_svc, CheckResult)
    assert snap_svc[1].name == "web" and snap_svc[0].service("web") is snap_svc[1]
    missing = settled_service(ctx("services"), "db", "create db", "start the lab")
    assert isinstance(missing, CheckResult) and not missing.passed
    assert missing.message == "There is no service named db; the swarm has agent, hello, web."
    assert missing.hint == "the name must be exactly db: create db"
    no_swarm = settled_service(ctx("no-swarm"), "web", "create web", "start the lab")
    assert isinstance(no_swarm, CheckResult) and no_swarm.hint == "start the lab"


def test_declared_needs_run_first_in_order_and_the_first_missing_one_is_the_verdict():
    from swarmlab.checks.requires import found_service, service

    ran: list[str] = []

    @register("99.needs", title="t", lab="99", params={"service": "web", "settle_s": 0},
              needs=("swarm", service(how="create {service}")))
    def uses(ctx: CheckContext) -> CheckResult:
        ran.append(found_service(ctx).name)
        return ctx.ok("ran")

    try:
        def judge(snap: str, **params: object) -> CheckResult:
            res = run_checks(fake_lab(), ["99.needs"], snapshot=snapshot(snap), **params)
            assert isinstance(res, CheckResult)
            return res

        assert judge("services").passed and ran == ["web"]
        no_swarm = judge("no-swarm")
        assert no_swarm.status is Status.FAIL and "There is no swarm" in no_swarm.message
        assert no_swarm.hint == "this lab needs the swarm: run `lab = swarmlab.start_lab('99')` again"
        missing = judge("services", service="db")
        assert missing.message == "There is no service named db; the swarm has agent, hello, web."
        assert missing.hint == "the name must be exactly db: create db" and ran == ["web"]
    finally:
        REGISTRY.pop("99.needs")


def test_a_named_need_must_be_known():
    with pytest.raises(ValueError, match="needs 'volume:x': known are service, swarm"):
        register("99.bad", title="t", lab="99", needs=("volume:x",))


def test_service_by_name_in_needs():
    from swarmlab.checks.base import requirement

    ctx = CheckContext(fake_lab(), {"service": "web"}, snapshot("services"))
    assert requirement("service:web")(ctx) is None and ctx.found["service"].name == "web"
    assert requirement("service:{service}")(ctx) is None
    assert requirement("service:nope")(ctx).message.startswith("There is no service named nope")
