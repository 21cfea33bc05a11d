"""Each preflight item on faked probe input: the verdict and the fix it names."""

import ipaddress

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


def test_cgroups_fail_when_a_test_node_cannot_run_a_container():
    item = d.cgroup_item({"CgroupVersion": "2"}, {"task": "mkdir /sys/fs/cgroup/x: read-only"})
    assert item.status == "FAIL" and "v2" in item.name and "read-only" in item.detail
    assert d.cgroup_item({"CgroupVersion": "1"}, {"task": "ok"}).status == "PASS"
    assert d.cgroup_item({}, None).status == "WARN"


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
