"""`python -m everynode` is the `everynode` command."""

from everynode.cli.main import main

raise SystemExit(main())
