"""Widgets: they render snapshots and post messages; they never call HTTP."""
