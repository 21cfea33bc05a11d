from swarmlab.soak import soak
from tests.conftest import lab_name


def test_repeated_up_down_cycles_leave_nothing_and_do_not_slow_down(host_engine):
    r = soak(host_engine, cycles=3, name=lab_name("t-soak"), workers=1)
    assert r.leftovers == {"containers": 0, "networks": 0, "volumes": 0}
    assert r.stale_cgroups == []
    assert max(r.up_s) < 3 * min(r.up_s) + 5, r.up_s
