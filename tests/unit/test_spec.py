import warnings

import pytest

from swarmlab.errors import SpecError, SwarmLabError
from swarmlab.spec import ClusterSpec, NodeSpec, QuorumWarning, validate_name


def test_default_spec_is_one_manager_two_workers():
    spec = ClusterSpec()
    assert [n.name for n in spec.nodes] == ["manager1", "worker1", "worker2"]
    assert [n.role for n in spec.nodes] == ["manager", "worker", "worker"]


@pytest.mark.parametrize("managers,workers", [(0, 2), (-1, 2), (1, -3), (10, 0), (1, 51)])
def test_counts_out_of_range_are_spec_errors(managers, workers):
    with pytest.raises(SpecError, match="out of range"):
        ClusterSpec(managers=managers, workers=workers)


@pytest.mark.parametrize("value", [1.5, "3", True, None])
def test_counts_must_be_whole_numbers(value):
    with pytest.raises(SpecError, match="whole number"):
        ClusterSpec(workers=value)


def test_even_manager_count_is_allowed_with_a_quorum_warning():
    with pytest.warns(QuorumWarning, match="majority"):
        spec = ClusterSpec(managers=2, workers=0)
    assert len(spec.nodes) == 2


def test_odd_manager_count_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ClusterSpec(managers=3, workers=2)


@pytest.mark.parametrize("name", ["", "Default", "a b", "x" * 25, "1lab", "lab_1", "ümlaut", "a/b"])
def test_odd_lab_names_are_refused_with_the_rule(name):
    with pytest.raises(SpecError, match="lowercase letters"):
        validate_name(name)


def test_unknown_provider_names_the_choices():
    with pytest.raises(SpecError, match="dind"):
        ClusterSpec(provider="kubernetes")


@pytest.mark.parametrize("name,role,index", [("manager1", "manager", 1), ("worker12", "worker", 12)])
def test_node_names_parse(name, role, index):
    assert NodeSpec.parse(name) == NodeSpec(name, role, index)


@pytest.mark.parametrize("name", ["worker0", "node1", "manager", "worker1x"])
def test_bad_node_names_are_spec_errors(name):
    with pytest.raises(SpecError, match="manager1"):
        NodeSpec.parse(name)


def test_spec_errors_are_swarmlab_errors_and_value_errors():
    assert issubclass(SpecError, SwarmLabError) and issubclass(SpecError, ValueError)
