"""Two registry instances on one database and one blob store (the PostgreSQL deployment, with
a shared blob directory or a bucket; SQLite in WAL mode manages it on one machine too): a
session started on one continues on the other, and a race for the same release opens exactly
one session."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
from stagekit import Server, unique_name


def via(document: dict[str, Any], source: Server, target: Server) -> dict[str, Any]:
    """The same session document with its links pointing at another instance."""
    return dict(json.loads(json.dumps(document).replace(source.url, target.url)))


def test_instances_share_sessions_and_files(storage_factory, tmp_path: Path,
                                            release_factory) -> None:
    storage = storage_factory()
    # with a bucket each instance has a data directory of its own, as on separate machines
    second_data = tmp_path / ("second" if storage.store else "shared")
    first = Server.over(tmp_path / "shared", storage).start()
    second = Server.over(second_data, storage).start()
    try:
        name = unique_name("shared")
        maintainer = first.maintainer(name)
        on_first, on_second = first.client(maintainer.token), second.client(maintainer.token)
        sdist, wheel = release_factory(name, "1.0")

        session = on_first.create(name, "1.0").json()
        elsewhere = via(session, first, second)
        on_second.upload(elsewhere, wheel)
        on_first.upload(session, sdist)
        assert on_second.status(elsewhere)["files"].keys() == {sdist.filename, wheel.filename}
        preview = httpx2.get(f"{session['links']['stage']}files/{wheel.filename}")
        assert preview.content == wheel.path.read_bytes()  # stored by the other instance
        assert on_second.publish(elsewhere, maintainer.otp()).status_code == 201
        assert httpx2.get(f"{first.url}/simple/{name}/").status_code == 200

        racing = unique_name("race")
        account = first.maintainer(racing, role="stage")
        clients = [first.client(account.token), second.client(account.token)] * 4
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda client: client.create(racing, "1.0"), clients))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [201] + [409] * 7
        created = next(a for a in answers if a.status_code == 201).json()
        assert all(a.headers["location"].endswith(created["id"]) for a in answers
                   if a.status_code == 409)
    finally:
        first.stop()
        second.stop()
