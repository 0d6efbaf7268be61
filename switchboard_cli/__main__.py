"""`python -m switchboard_cli`, the same as the `switchboard` console script."""

from switchboard_cli.main import main

raise SystemExit(main())
