"""Group runs across screens: their screen, opened one at a time, and their end, said
once by a toast (and the bell, if asked for) whether that screen is open then or not.

A group is followed from its start here, or from its screen opened while it runs. Its
screen reports each of its reads (`note`); while none comes, the group is read here
every slow interval (one request per 1,000 members), in a worker of the app's that a
new connection cancels.
"""

from __future__ import annotations

import asyncio

from tui.api.errors import ApiError
from tui.live.group_watch import GroupFollower, GroupProgress
from tui.screens import toasts
from tui.screens.host import Host
from tui.screens.toasts import say


class GroupEnds:
    def __init__(self, host: Host) -> None:
        self._host = host
        # id -> the host's clock at the group's last read, until its end is said
        self._followed: dict[str, float] = {}

    def open(self, group_id: str) -> None:
        """A group run's screen, over the others; one at a time."""
        from tui.screens.group import GroupScreen  # not needed before: a faster start-up

        host = self._host
        while len(host.screen_stack) > 1 and isinstance(host.screen_stack[-1], GroupScreen):
            host.pop_screen()
        host.push_screen(GroupScreen(group_id))

    def follow(self, group_id: str) -> None:
        if group_id in self._followed:
            return
        self._followed[group_id] = self._host.clock()
        self._host.run_worker(self._follow(group_id), group="poll", exit_on_error=False)

    def clear(self) -> None:
        """Another connection: nothing followed on the old one is said."""
        self._followed.clear()

    async def _follow(self, group_id: str) -> None:
        host = self._host
        interval = host.slow_interval
        follower = GroupFollower(host.client, group_id)
        while group_id in self._followed:
            await asyncio.sleep(interval)
            seen = self._followed.get(group_id)
            if seen is None or host.clock() - seen < interval:
                continue  # its screen read it meanwhile
            try:
                self.note(await follower.read())
            except ApiError:
                continue  # the next read says more; the connection's state is the poller's

    def note(self, progress: GroupProgress) -> None:
        """A read of a group run, from its screen or from here."""
        group_id = progress.group.id
        if group_id not in self._followed:
            if not progress.is_over and progress.total:
                self.follow(group_id)  # opened while it runs: its end is said too
            return
        self._followed[group_id] = self._host.clock()
        if progress.is_over:
            del self._followed[group_id]
            counts = progress.counts
            ended = toasts.group_ended(progress.outcome, counts["failed"], counts["cancelled"])
            say(self._host, ended)
            if self._host.bell_on_end:
                self._host.bell()
