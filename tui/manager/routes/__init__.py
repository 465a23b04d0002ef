"""The HTTP side of each domain: one module per domain, its handlers next to the
`ROUTES` that serve them (`app.routes()` assembles them all)."""
