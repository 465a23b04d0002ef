"""The embedded Cloudify manager: a REST API v3.1 server on loopback with SQLite state.

It is the server side of the contract, so it never imports the client (`tui.api`),
the live layer (`tui.live`) or any UI code: a mismatch between client and server
must not be hidden by shared code.
"""
