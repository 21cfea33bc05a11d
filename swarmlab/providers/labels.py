"""Labels are the only record of what belongs to a lab: no state file anywhere."""

LAB = "io.swarmlab.lab"
ROLE = "io.swarmlab.role"
NODE = "io.swarmlab.node"
ADDRESS = "io.swarmlab.address"
KIND = "io.swarmlab.kind"  # node | network | volume | probe
PROBE_LAB = "-probe-"  # the LAB of the dind provider's --privileged probe (never a lab's)
PROVIDER = "io.swarmlab.provider"
IMAGE_HASH = "io.swarmlab.node-image"


def for_lab(lab: str, kind: str, **extra: str) -> dict[str, str]:
    """The labels every resource of ``lab`` carries."""
    labels = {LAB: lab, KIND: kind, PROVIDER: "dind"}
    for key, value in extra.items():
        labels[f"io.swarmlab.{key.replace('_', '-')}"] = value
    return labels
