"""What tests share: the fakes at the outermost edge (Yahoo over HTTP, Slack's Web API), synthetic snapshots and
markets, and the CLI in a subprocess. Tests import from here, never from each other; fixtures live in conftest.py."""
