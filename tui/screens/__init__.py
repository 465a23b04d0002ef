"""Screens: they read snapshots and ask the app to act; they never call HTTP."""
