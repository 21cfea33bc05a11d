"""Labs 06, 13 and 15's checks speak Korean with SWARMLAB_LANG=ko: failing checks on
snapshots recorded from real clusters give a Korean message and hint (commands, ids and
names as in English), from the kit's own catalog."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swarmlab import i18n
from swarmlab.checks import CheckResult, Status
from tests.unit.evidence import judge, replay


@pytest.fixture(autouse=True)
def korean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SWARMLAB_LANG", "ko")
    assert "ko" in i18n.available_languages()
    yield


def failed(res: CheckResult) -> CheckResult:
    assert res.status is Status.FAIL, str(res)
    return res


def test_lab06_default_parallelism_fails_in_korean():
    res = failed(judge("06.configured", "web-par1-configured", wait_s=0, update_delay="2s"))
    assert res.message == "업데이트 병렬도(parallelism)가 2이(가) 아니라 1(기본값)입니다."
    assert res.hint == ("`docker service update --update-parallelism 2 web` "
                        "(또는 서비스를 지우고 다시 만드세요)")


def test_lab06_one_task_at_a_time_fails_in_korean_through_ngettext():
    res = failed(judge("06.updated", "web-par1-updated", wait_s=0, update_delay="2s"))
    assert res.message == ("업데이트가 태스크를 한 번에 1개씩 교체했습니다: 병렬도가 2이(가) "
                           "아니라 1입니다.")
    assert res.hint == ("`docker service update --update-parallelism 2 web` 후 v1(으)로 롤백한 "
                        "뒤(`docker service rollback web`) 다시 업데이트하세요")


def test_lab13_update_left_paused_fails_in_korean():
    res = failed(replay("13.auto-rollback", "web-broken-paused", settle_s=0))
    assert res.message == ("고장 난 태스크에서 업데이트가 일시 중지됐습니다: 실패 시 동작이 "
                           "기본값인 pause입니다.")
    assert res.hint.startswith("`docker service rollback web`, 그다음 `docker service update "
                               "--update-failure-action rollback")


def test_lab15_backup_without_the_certificates_fails_in_korean():
    res = failed(judge("15.backup", "dr-healthy-keep", managers=3, workers=1,
                       replies={"manager1": {"tar tzf": "raft/\nraft/wal-v3-encrypted/\n"}}))
    assert res.message.startswith("manager1 노드의 /srv/swarmlab/swarm-backup.tgz에 swarm/ 아래 "
                                  "raft, certificates 폴더가 없습니다")
    assert res.hint == ("manager1에서: `mkdir -p /srv/swarmlab && tar czf "
                        "/srv/swarmlab/swarm-backup.tgz -C /var/lib/docker swarm`")


def test_english_stays_the_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SWARMLAB_LANG")
    res = failed(judge("06.configured", "web-par1-configured", wait_s=0, update_delay="2s"))
    assert res.message == "Its update parallelism is 1 (the default), not 2."
