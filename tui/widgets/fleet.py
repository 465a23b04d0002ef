"""The executions of every deployment, one page of them: the executions pane's row
with the deployment in front and, across tenants, the tenant."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text

from tui.api.models import Execution
from tui.widgets.keyed_table import Cells, Column
from tui.widgets.paged_table import PagedTable
from tui.widgets.panes import execution_cells
from tui.widgets.safe import safe
from tui.widgets.status import Palette

COLUMNS = (
    Column("id", "Id", 8),
    Column("deployment", "Deployment", 14),
    Column("workflow", "Workflow", 16),
    Column("status", "Status", 16),
    Column("started", "Started", 12, priority=2),
    Column("duration", "Duration", 8, priority=1),
    Column("error", "Error", 28, priority=4),
)
TENANT = Column("tenant", "Tenant", 14, priority=3)


class FleetTable(PagedTable):
    COLUMNS = COLUMNS

    def show_tenants(self, shown: bool) -> None:
        """A tenant column, across tenants only (it says nothing within one)."""
        wanted = (*COLUMNS[:2], TENANT, *COLUMNS[2:]) if shown else COLUMNS
        if wanted != self.COLUMNS:
            self.COLUMNS = wanted
            self._set_columns(self._columns_for(self.size.width or 200))


def fleet_cells(
    execution: Execution,
    now: datetime,
    palette: Palette,
    ascii_only: bool,
    tz: timezone | None = None,
) -> Cells:
    cells = execution_cells(execution, now, palette, ascii_only, tz)
    deployment = execution.deployment_id
    cells["deployment"] = (
        safe(deployment, limit=200, ascii_only=ascii_only)
        if deployment
        else Text("(system)", style="dim")
    )
    cells["tenant"] = safe(execution.tenant_name, limit=100, ascii_only=ascii_only)
    return cells
