"""The `briefkit` command: global options, command registration and error handling."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from .common import State, err

app = typer.Typer(
    name="briefkit",
    help="Cited topic summaries, Q&A and evaluation over your own articles, with small local models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _globals(
    ctx: typer.Context,
    home: Optional[Path] = typer.Option(None, "--home", help="Store and index folder [$BRIEFKIT_HOME or ./.briefkit]."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML profile (default: built in)."),
    json_out: bool = typer.Option(False, "--json", help="Machine output (JSON) on stdout."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    ctx.obj = State(home=home, config=config, json=json_out, debug=debug)


def _register() -> None:
    from . import corpus_cmds, eval_cmds, generate_cmds

    app.command("ingest")(corpus_cmds.ingest)
    app.command("search")(corpus_cmds.search)
    app.add_typer(corpus_cmds.index_app, name="index")
    generate_cmds.register(app)
    app.add_typer(eval_cmds.eval_app, name="eval")


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors become one line on stderr and an exit code (0, 1 or 2)."""
    import click

    from ..errors import BriefkitError

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="briefkit", standalone_mode=False)
        return result if isinstance(result, int) else 0  # click returns typer.Exit's code here
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        err.print("aborted")
        return 1
    except BriefkitError as exc:
        if debug:
            raise
        err.print(f"error: {exc}", style="red", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the contract: one line, no traceback
        if debug:
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        err.print(f"error: {type(exc).__name__}: {first} (run with --debug for details)", style="red", markup=False)
        return 1


def entry() -> None:
    sys.exit(main())
