"""Deployments marked for a group run: kept by id, across refreshes, pages, filters
and sorts, until cleared (or the tenant changes), in the order they were marked.

Marking all that a filter matches asks the manager for every matching id (all pages,
`_include=id`, label rules included), not only the rows on screen.
"""

from __future__ import annotations

from collections.abc import Iterable

from tui.api.client import ManagerClient, every_page
from tui.live.poller import where

# Ids per request when marking all that match: the manager's largest page.
ID_PAGE = 1000


class Marks:
    """An ordered set of deployment ids. `version` changes with every change, so a
    view can tell cheaply whether the marks it drew are still the marks."""

    def __init__(self) -> None:
        self._ids: dict[str, None] = {}
        self.version = 0

    def __contains__(self, deployment_id: object) -> bool:
        return deployment_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._ids)

    def toggle(self, deployment_id: str) -> bool:
        """Mark or unmark; True when it is marked now."""
        self.version += 1
        if deployment_id in self._ids:
            del self._ids[deployment_id]
            return False
        self._ids[deployment_id] = None
        return True

    def add(self, deployment_ids: Iterable[str]) -> int:
        """Mark these too; how many were not marked before."""
        before = len(self._ids)
        self._ids.update(dict.fromkeys(deployment_ids))
        added = len(self._ids) - before
        self.version += bool(added)
        return added

    def clear(self) -> int:
        """Unmark all; how many were marked."""
        count = len(self._ids)
        self._ids.clear()
        self.version += bool(count)
        return count


async def matching_ids(client: ManagerClient, search: str) -> list[str]:
    """Every deployment id the filter `search` matches on the manager, by id."""
    found = await every_page(
        lambda offset: client.list_deployments(
            size=ID_PAGE, offset=offset, where=where(search), include=("id",), sort=("id",)
        )
    )
    return [d.id for d in found]
