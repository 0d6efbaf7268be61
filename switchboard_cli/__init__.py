"""`switchboard`, the command line of Switchboard: a client of its REST API (docs/cli.md).

It imports nothing of the product, nor Django: it runs wherever Python and httpx do, and
knows the server only through the API, as any CI script would.
"""
