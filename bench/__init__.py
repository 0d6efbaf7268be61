"""`make bench`: time the API over 10,000 agents, the web UI's dashboard over 500, and 1,000
agents synced through a worker.

Run it with `python -m bench` (`--help` for options; method and results in docs/benchmarks.md).
The API part: `database` picks and recreates the benchmark's own database, `seed` fills it,
`baseline` and `urls` add the bare DRF list the agent list is compared with, `cases` says which
requests are timed, `measure` times them and counts their queries, `benchmark` runs it all, and
`report` prints the results and records them. The web UI part: `ui` seeds two workspaces
(`seed.seed_workspace`), checks and times the dashboard and detail pages as a logged-in admin,
and `ui_report` prints and records it. The sync part: `sync` makes the agents and times
their sync by a worker (`worker`) on a Redis (`broker`) against a rate-limited sandbox
(`sandbox_server`), both run by `processes`, and `sync_report` prints and records it. The
test runs part: `scripted_runs` queues scripted test runs for a worker of two processes
(settings: `runs_worker_settings`) and holds the same conversations with a bare client for a
baseline, and `scripted_runs_report` prints and records it.
"""

# Every part times one token's requests, which the API's throttle would answer with 429s: a rate
# nobody reaches keeps the throttle's work (a cache round trip a request) without its refusals.
# Set for this process (the API and web UI parts) and for the servers the parts start.
THROTTLE_ENV = {"API_THROTTLE_RATE": "1000000/minute"}
