"""cfy-tui: a terminal UI for Cloudify deployment workflows, and an embedded manager."""

__version__ = "0.1.0"
