"""The subcommands: each module here adds its own through `register(subparsers)`.

COMMANDS names the module behind each top-level command, so that `viktig <command>` imports that module alone:
start-up time is the user's (and every CLI test's) time, and the modules pull in different stacks (the web server,
scikit-learn, the Telegram client). `viktig --help` and an unknown command import them all.
tests/e2e/test_cli.py checks the table against what the modules register.
"""

COMMANDS: dict[str, str] = {
    "analyse": "analysis",
    "report": "analysis",
    "answers": "answers",
    "export": "answers",
    "area": "areas",
    "kit": "areas",
    "campaign": "campaigns",
    "unit": "campaigns",
    "chat": "chat",
    "db": "database",
    "demo": "demo",
    "erase": "privacy",
    "purge": "privacy",
    "serve": "serve",
    "survey": "survey",
    "user": "users",
    "worker": "worker",
}
