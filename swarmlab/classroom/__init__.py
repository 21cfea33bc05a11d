"""Classroom workshops on one Linux host: ``swarmlab class up|status|progress|reset|down``.

A real JupyterHub (its shared-password authenticator, a local-process spawner) in front of
one JupyterLab server per student, each with its own copy of ``labs/`` and its own cluster
(``SWARMLAB_LAB=<class>-<student>``); every check verdict goes to the class's progress
database, which the instructor's board (a JupyterHub service) reads.

Trust model (the README says it, ``class up`` prints it): the students share one host and
one unix account, and a node is a privileged container, so a student can reach the host
and the other students' clusters. This mode is for a trusted class.

    roster.py   the students' names (``--students N`` or ``--roster FILE``), validated
    plan.py     memory and CPU per student (measured) and the largest class that fits
    config.py   the class folder, its settings, passwords and ports; the hub's config
    hub.py      up / status / reset / down: processes, clusters, nothing half-made
    board.py    students x exercises from the progress database, node histories, CSV
    service.py  the board page, a JupyterHub service only admins may open
    cards.py    a printable login card per student
    cli.py      the ``swarmlab class`` commands
"""

TRUST_MODEL = (
    "Trust model: the students share this host and one unix account, and every node is a "
    "privileged container, so a student can reach the host and the other students' "
    "clusters. Use this mode for a trusted class only."
)
