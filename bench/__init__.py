"""`make bench`: seed a throw-away database with 10,000 agents and time the API against it.

Run it with `python -m bench` (`--help` for options; method and results in docs/benchmarks.md).
`database` picks and recreates the benchmark's own database, `seed` fills it, `baseline` and
`urls` add the bare DRF list the agent list is compared with, `cases` says which requests are
timed, `measure` times them and counts their queries, `benchmark` runs it all, and `report`
prints the results and records them.
"""
