"""Groups of staged releases: the members of a workspace staged together, in the order to
decide them (dependency order), under one id that ``list``, ``view``, ``approve`` and
``reject`` accept.

hatch-stage's registry keeps groups itself (``/upload/2.0/groups``), so every machine sees
them. npm registries (and PEP 694 registries without that extension) have no such thing:
there the group is recorded on the machine that staged it, under
``$XDG_STATE_HOME/hatch-stage/groups`` (:mod:`hatch_stage.statefiles`), and other machines
approve the stage ids themselves, in the order ``publish --workspace`` printed.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .. import statefiles
from ..errors import RegistryError
from .interface import GONE, StageClient, StagedGroup, StagedItem

#: every group id starts with this (a stage id never does)
PREFIX = "group-"
GROUP_ID = re.compile(r"^group-[0-9a-f]{32}$")
KIND = "groups"


def is_group_id(text: str) -> bool:
    return bool(GROUP_ID.match(text))


def check_group_id(text: str) -> str:
    if not is_group_id(text):
        raise RegistryError(f"{text!r} is not a group id (group- and 32 hex digits, as "
                            "`hatch-stage publish --workspace` prints it)",
                            code="invalid_stage_id")
    return text


def _key(registry: str, group_id: str) -> str:
    # the same id on two registries would be two groups: keep them apart
    return f"{group_id}-{uuid.uuid5(uuid.NAMESPACE_URL, registry).hex[:12]}"


def keep_locally(registry: str, items: Sequence[StagedItem]) -> StagedGroup:
    """Record ``items`` as a group of ``registry`` on this machine; the group."""
    group_id = PREFIX + uuid.uuid4().hex
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    statefiles.write(KIND, _key(registry, group_id), {
        "id": group_id, "registry": registry, "created_at": created,
        "members": [{"stageId": item.stage_id, "name": item.name, "version": item.version}
                    for item in items]})
    return StagedGroup(group_id, tuple(items), created, "open", "local")


def _records(registry: str) -> Iterable[Mapping[str, Any]]:
    for record in statefiles.read_all(KIND):
        if record.get("registry") == registry and is_group_id(str(record.get("id", ""))):
            yield record


def local_group(registry: str, group_id: str,
                current: Mapping[str, StagedItem]) -> StagedGroup | None:
    """The group this machine recorded for ``registry``, its members as ``current`` (stage
    id -> item) shows them; a member missing from ``current`` is :data:`GONE`."""
    record = statefiles.read(KIND, _key(registry, check_group_id(group_id)))
    if record is None or record.get("registry") != registry:
        return None
    return _from_record(record, current)


def local_groups(registry: str, current: Mapping[str, StagedItem]) -> list[StagedGroup]:
    """This machine's groups of ``registry`` with a member still staged, newest first."""
    groups = [_from_record(record, current) for record in _records(registry)]
    return [group for group in groups if group.waiting]


def _from_record(record: Mapping[str, Any], current: Mapping[str, StagedItem]) -> StagedGroup:
    members = []
    for entry in record.get("members") or []:
        stage_id = str(entry.get("stageId", ""))
        members.append(current.get(stage_id) or StagedItem(
            stage_id, str(entry.get("name", "")), str(entry.get("version", "")), status=GONE))
    group = StagedGroup(str(record["id"]), tuple(members), record.get("created_at"),
                        kept="local", raw=dict(record))
    return StagedGroup(group.id, group.members, group.created_at,
                       "open" if len(group.waiting) == len(members) else "mixed", "local",
                       group.raw)


def create(client: StageClient, items: Sequence[StagedItem]) -> StagedGroup:
    """Group ``items`` (in the order to decide them): on the registry where it keeps groups,
    else on this machine."""
    return client.create_group(list(items)) or keep_locally(client.registry, items)


def get(client: StageClient, group_id: str) -> StagedGroup:
    """The group, its members as the registry shows them now."""
    check_group_id(group_id)
    kept = client.group(group_id)
    if kept is not None:
        return kept
    recorded = local_group(client.registry, group_id, {})
    if recorded is None:
        raise RegistryError(
            f"no group {group_id} on {client.registry}: the registry keeps no such group, and "
            "this machine did not stage it (npm registries have no groups: approve the stage "
            "ids in the order `publish --workspace` printed them)", code="not_found")
    current = {}
    for member in recorded.members:
        try:
            current[member.stage_id] = client.view(member.stage_id)
        except RegistryError as error:
            if error.code != "not_found":
                raise
    return local_group(client.registry, group_id, current) or recorded


def listing(client: StageClient, staged: Sequence[StagedItem]) -> list[StagedGroup]:
    """The groups with a member awaiting a decision: the registry's, else this machine's
    (``staged``: what the registry lists as staged now)."""
    kept = client.groups()
    if kept is not None:
        return kept
    return local_groups(client.registry, {item.stage_id: item for item in staged})
