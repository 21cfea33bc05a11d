"""Each preflight item on faked probe input or recorded host facts: the verdict and the fix
it names."""

import ipaddress
import json
from pathlib import Path

import pytest

from swarmlab import doctor as d


def test_no_engine_fails_and_names_how_to_start_one():
    item = d.engine_item(None, "No Docker engine answers")
    assert item.status == "FAIL" and "lab.sh" in item.fix


def test_engine_version_is_reported():
    item = d.engine_item({"Version": "26.1.5", "ApiVersion": "1.45"})
    assert item.status == "PASS" and "26.1.5" in item.detail


def test_rootless_engine_fails_with_the_fix():
    item = d.rootless_item({"SecurityOptions": ["name=seccomp", "name=rootless"]})
    assert item.status == "FAIL" and "rootful" in item.fix
    assert d.rootless_item({"SecurityOptions": ["name=seccomp"]}).status == "PASS"


def test_docker_desktop_is_detected_and_explained():
    item = d.desktop_item({"OperatingSystem": "Docker Desktop"})
    assert item is not None and "IPVS" in item.detail
    assert d.desktop_item({"OperatingSystem": "Debian GNU/Linux 12"}) is None


def test_privilege_mode_is_named():
    assert "--privileged" in d.privilege_item(True).detail
    assert "SYS_RESOURCE" in d.privilege_item(False).detail
    assert d.privilege_item(None).status == "WARN"


def test_cgroups_fail_when_a_test_node_cannot_run_a_container():
    item = d.cgroup_item({"CgroupVersion": "2"}, {"task": "mkdir /sys/fs/cgroup/x: read-only"})
    assert item.status == "FAIL" and "v2" in item.name and "read-only" in item.detail
    assert d.cgroup_item({"CgroupVersion": "1"}, {"task": "ok"}).status == "PASS"
    assert d.cgroup_item({}, None).status == "WARN"
    # Which node ran it: the lab's own when it was up, else a test node made for it.
    mine = d.cgroup_item({"CgroupVersion": "2"}, {"task": "ok", "where": "node manager1 of lab "
                                                  "default"})
    assert mine.status == "PASS" and mine.detail.startswith("node manager1 of lab default ran")
    assert d.cgroup_item({}, {"task": "ok"}).detail.startswith("a test node ran")


def test_vfs_inside_nodes_is_a_warning():
    assert d.storage_item("overlay2", {"driver": "vfs"}).status == "WARN"
    assert d.storage_item("overlay2", {"driver": "overlay2"}).status == "PASS"


def test_missing_ipvs_warns_and_explains_the_fallback():
    item = d.ipvs_item(False, "the kernel has no ip_vs module")
    assert item.status == "WARN" and "dnsrr" in item.detail and "modprobe ip_vs" in item.fix
    assert d.ipvs_item(True, "ip_vs is loaded").status == "PASS"


def test_bridge_netfilter_off_or_missing_warns():
    assert d.bridge_nf_item("0\n").status == "WARN"
    assert d.bridge_nf_item(None).status == "WARN"
    assert d.bridge_nf_item("1\n").status == "PASS"


def test_too_little_memory_for_the_cluster_fails():
    item = d.resources_item(mem_available_kib=200 * 1024, disk_free_mib=50_000, nodes=5,
                            images_present=True)
    assert item.status == "FAIL" and "fewer nodes" in item.fix
    assert d.resources_item(20_000_000, 50_000, 5, True).status == "PASS"


def test_too_little_disk_for_the_images_fails():
    assert d.resources_item(20_000_000, 300, 3, images_present=False).status == "FAIL"


def test_a_lab_subnet_shadowing_a_host_route_fails():
    routes = [ipaddress.IPv4Network("172.29.0.0/16"), ipaddress.IPv4Network("172.29.3.0/24")]
    item = d.subnet_item("172.29.3.0/24", routes)
    assert item.status == "FAIL" and "172.29.0.0/16" in item.detail
    assert d.subnet_item("172.29.3.0/24", routes[1:]).status == "PASS"


def test_missing_graphviz_warns():
    assert d.graphviz_item(None).status == "WARN"
    assert d.graphviz_item("/usr/bin/dot").status == "PASS"


def test_missing_node_image_fails_but_an_outdated_lab_image_only_warns():
    rows = [{"image": "swarmlab/node:latest", "state": "missing"}]
    assert d.images_item(rows).status == "FAIL"
    rows = [{"image": "swarmlab/node:latest", "state": "current"},
            {"image": "swarmlab/web:v1", "state": "outdated"}]
    assert d.images_item(rows).status == "WARN"


# ----- host kinds, on recorded host facts (tests/fixtures/hosts/<kind>.json) ----------------
HOSTS = Path(__file__).resolve().parents[1] / "fixtures" / "hosts"


def facts(name: str) -> dict:
    return json.loads((HOSTS / f"{name}.json").read_text())


def verdicts(name: str) -> dict[str, d.Item]:
    return {i.name: i for i in d.host_items(facts(name), need_mib=3 * 80)}


# name: (kind, {item: status}) -- items not named PASS
EXPECTED = {
    "this-host": ("linux", {}),
    "trixie-cgroup-v2": ("linux", {}),
    "rootless": ("linux", {"rootful engine": "FAIL"}),
    "desktop-mac": ("desktop-mac", {"host": "WARN"}),
    "desktop-win": ("desktop-win", {"host": "WARN"}),
    "wsl2-systemd": ("wsl2", {}),
    "wsl2-no-systemd": ("wsl2-no-systemd", {"host": "WARN", "cgroup layout": "WARN"}),
    "old-docker": ("linux", {"docker engine": "FAIL"}),
    "windows-native": ("windows", {"host": "FAIL"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_recorded_host_kind_gets_its_verdicts(name):
    want_kind, not_pass = EXPECTED[name]
    assert d.kind(facts(name)) == want_kind
    got = verdicts(name)
    assert list(got) == ["host", "docker engine", "rootful engine", "cgroup layout",
                         "node privileges"]
    for item_name, item in got.items():
        assert item.status == not_pass.get(item_name, "PASS"), item.line()
        assert item.status == "PASS" or item.fix, f"{item.name} gives no fix"


def test_every_recorded_host_is_tested():
    assert {p.stem for p in HOSTS.glob("*.json")} == set(EXPECTED)


def test_this_host_names_the_capability_fallback_and_cgroup_v1():
    got = verdicts("this-host")
    assert "--cap-add ALL" in got["node privileges"].detail
    assert "refuses --privileged" in got["node privileges"].detail
    assert got["cgroup layout"].detail.startswith("v1 (hybrid")


def test_a_trixie_host_runs_privileged_nodes_on_cgroup_v2():
    got = verdicts("trixie-cgroup-v2")
    assert got["node privileges"].detail == "nodes run with --privileged"
    assert got["cgroup layout"].detail.startswith("v2 (unified, driver systemd)")
    assert "26.1.5" in got["docker engine"].detail


def test_rootless_docker_is_refused_with_both_fixes():
    item = verdicts("rootless")["rootful engine"]
    assert "refuses" in item.detail and "rootless" in item.detail
    assert "rootful Docker" in item.fix and "--provider vm" in item.fix


def test_docker_desktop_on_macos_says_what_works_and_what_to_set_up():
    item = verdicts("desktop-mac")["host"]
    assert "macOS" in item.detail and "routing mesh works" in item.detail
    assert "swarmlab exec" in item.detail and "vm and vagrant providers" in item.detail
    assert "Resources" in item.fix and "4 GB" in item.fix
    assert verdicts("desktop-mac")["cgroup layout"].detail.startswith("v2 in Docker Desktop")


def test_docker_desktop_on_windows_asks_for_wsl_integration():
    item = verdicts("desktop-win")["host"]
    assert "Windows" in item.detail and "WSL2" in item.detail
    assert "WSL integration" in item.fix


def test_python_on_windows_itself_is_sent_to_wsl2():
    item = verdicts("windows-native")["host"]
    assert "wsl --install" in item.fix


def test_wsl2_without_systemd_names_wsl_conf_and_the_cgroup_mount():
    got = verdicts("wsl2-no-systemd")
    assert "systemd=true" in got["host"].fix and "wsl --shutdown" in got["host"].fix
    assert "name=systemd" in got["cgroup layout"].fix
    assert "WSL2 with systemd" in verdicts("wsl2-systemd")["host"].detail


def test_an_old_docker_names_the_minimum_and_why():
    item = verdicts("old-docker")["docker engine"]
    assert "19.03.13" in item.detail and "20.10" in item.detail and "1.41" in item.detail
    assert "cgroupns" in item.detail and "cgroup v2" in item.detail
    assert "lab.sh" in item.fix
    assert d.engine_item({"Version": "20.10.5", "ApiVersion": "1.41"}).status == "PASS"
    assert d.engine_item({"Version": "20.10.5", "ApiVersion": "1.40"}).status == "FAIL"
    assert d.engine_item({"Version": "dev", "ApiVersion": "?"}).status == "WARN"


def test_no_cgroups_at_all_fails():
    f = facts("trixie-cgroup-v2")
    f["host"]["cgroup"] = "none"
    assert d.cgroup_layout_item(f).status == "FAIL"
