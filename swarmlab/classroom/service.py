"""The board: a JupyterHub service (``/services/board/``) only the instructor may open.

Runs as ``python -m swarmlab.classroom.service CLASS_FOLDER``, started by the hub, which
hands it its address and token. Students' accounts hold no scope to reach it; the
instructor's admin role does (and the ``board-readers`` role names them). The page polls
``data.json`` every few seconds; ``progress.csv`` is the export."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from tornado import web

from swarmlab.classroom.board import Command, board_data, board_rows, node_histories, to_csv
from swarmlab.classroom.config import ClassSettings

HISTORY_TTL_S = 10.0
PAGE = (Path(__file__).parent / "board.html").read_text()


class Histories:
    """Each student's node histories, read in a thread and kept for a few seconds."""

    def __init__(self, settings: ClassSettings) -> None:
        self.settings = settings
        self.cache: dict[str, list[Command]] = {}
        self.read_at = 0.0
        self.lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self.lock:
            if time.monotonic() - self.read_at < HISTORY_TTL_S:
                return
            loop = asyncio.get_running_loop()
            labs = [self.settings.lab_of(s) for s in self.settings.students]
            got = await asyncio.gather(*(loop.run_in_executor(None, node_histories, lab)
                                         for lab in labs))
            self.cache = dict(zip(labs, got, strict=True))
            self.read_at = time.monotonic()

    def __call__(self, lab: str) -> list[Command]:
        return self.cache.get(lab, [])


class _Base(HubOAuthenticated, web.RequestHandler):
    @property
    def settings_(self) -> ClassSettings:
        return self.application.settings["class_settings"]


class PageHandler(_Base):
    @web.authenticated
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        # A fetch() authenticated by cookie must carry JupyterHub's xsrf token.
        token = self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes) \
            else str(self.xsrf_token)
        self.write(PAGE.replace("{{CLASS}}", self.settings_.name)
                   .replace("{{XSRF}}", json.dumps(token)))


class DataHandler(_Base):
    @web.authenticated
    async def get(self) -> None:
        histories: Histories = self.application.settings["histories"]
        await histories.refresh()
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.write(json.dumps(board_data(self.settings_, histories=histories)))


class CsvHandler(_Base):
    @web.authenticated
    def get(self) -> None:
        histories: Histories = self.application.settings["histories"]
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition",
                        f"attachment; filename=\"{self.settings_.name}-progress.csv\"")
        self.write(to_csv(board_rows(self.settings_, histories=histories)))


def make_app(folder: Path) -> Any:
    settings = ClassSettings.load(folder)
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/board/")
    return web.Application(
        [(prefix, PageHandler), (prefix + "data.json", DataHandler),
         (prefix + "progress.csv", CsvHandler),
         (prefix + "oauth_callback", HubOAuthCallbackHandler)],
        cookie_secret=os.urandom(32), class_settings=settings,
        histories=Histories(settings))


async def serve(folder: Path) -> None:
    os.environ["SWARMLAB_PROGRESS_DB"] = str(folder / "progress.sqlite")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8003"))
    make_app(folder).listen(url.port or 80, url.hostname or "127.0.0.1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1])))
