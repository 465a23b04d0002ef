"""The embedded Cloudify manager: a REST API v3.1 server on loopback with SQLite state.

It is the server side of the contract, so it never imports the client (`tui.api`),
the live layer (`tui.live`) or any UI code: a mismatch between client and server
must not be hidden by shared code.

Where things are:

- `routes/<domain>.py`: the HTTP side of a domain, its handlers and the `ROUTES`
  that serve them; `app.py` assembles them with the request log and the lifespan,
  `endpoint.py` is what every handler shares (auth, tenant, body, errors).
- `<domain>.py` (`deployments`, `executions`, `events`, `secrets`, `tokens`, ...):
  a domain's rules and storage, free of HTTP.
- `tables.py`: every table declared once (`columns.py` says how): the SQL schema,
  the JSON of a row, `_include`, filter and sort keys; `listing.py`: the one list
  pipeline; `versions.py`: what `--emulate` changes.
- `engine.py`: the simulated workflow engine, handed to the execution rules as a
  `runner.Runner`; `services.py`: the store, clock and settings all of them share.
"""
