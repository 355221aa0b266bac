"""The `briefkit` command: global options, command registration and error handling.

Global options (``--json``, ``--debug``, ``--home DIR``, ``--config FILE``) are accepted
before or after the command: :func:`hoist_globals` moves them in front before typer parses.
Usage errors print one line plus the usage hint and exit 2; :class:`BadInput` exits 2,
other failures exit 1, each as one line (a traceback only with ``--debug``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from .common import GLOBALS_EPILOG, State, err, readable_help

readable_help()

app = typer.Typer(
    name="briefkit",
    help="Cited topic summaries, Q&A and evaluation over your own articles, with small local models.\n\n"
    "Example: briefkit ingest notes/ && briefkit summarise \"tidal energy\"",
    epilog=GLOBALS_EPILOG,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

_FLAGS = ("--json", "--debug")
_VALUED = ("--home", "--config")


@app.callback()
def _globals(
    ctx: typer.Context,
    home: Optional[Path] = typer.Option(None, "--home", metavar="DIR",
                                        help="Store and index folder [default: $BRIEFKIT_HOME, else ./.briefkit]."),
    config: Optional[Path] = typer.Option(None, "--config", metavar="FILE", help="TOML profile [default: built in]."),
    json_out: bool = typer.Option(False, "--json", help="Machine output (JSON) on stdout; progress on stderr."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    ctx.obj = State(home=home, config=config, json=json_out, debug=debug)


def _register() -> None:
    from . import corpus_cmds, eval_cmds, generate_cmds, serve_cmd

    corpus_cmds.register(app)
    generate_cmds.register(app)
    serve_cmd.register(app)
    app.add_typer(eval_cmds.eval_app, name="eval")
    _document_globals(app)


def _document_globals(group: typer.Typer) -> None:
    """Every command's help ends with the global options (they work on both sides of the command)."""
    for info in group.registered_commands:
        info.epilog = info.epilog or GLOBALS_EPILOG
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _document_globals(sub.typer_instance)


_register()


def hoist_globals(args: list[str]) -> list[str]:
    """Move global options found anywhere (up to a ``--``) in front of the command."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if arg in _FLAGS:
            front.append(arg)
        elif name in _VALUED and "=" in arg:
            front.append(arg)
        elif arg in _VALUED and i + 1 < len(args):
            front.extend(args[i : i + 2])
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _usage_error(exc: Exception) -> int:
    """One plain line saying what is wrong, then where the usage is; exit 2."""
    ctx = getattr(exc, "ctx", None)
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    err.print(f"error: {message}", markup=False)
    if ctx is not None:
        err.print(f"usage: {ctx.get_usage().removeprefix('Usage: ').strip()}  (see `{ctx.command_path} --help`)",
                  markup=False)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors become one line on stderr and an exit code (0, 1 or 2)."""
    from ..errors import BriefkitError

    args = hoist_globals(sys.argv[1:] if argv is None else list(argv))
    debug = "--debug" in args
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="briefkit", standalone_mode=False)
        if result == 130:  # typer turns Ctrl-C into a silent exit code 130
            err.print("interrupted")
        return result if isinstance(result, int) else 0  # the code of a typer.Exit
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # click's usage errors: a missing argument, a bad value, no such option
        if type(exc).__name__ == "NoArgsIsHelpError" and getattr(exc, "ctx", None) is not None:
            print(exc.ctx.get_help())
            return 0
        if getattr(exc, "exit_code", 1) == 2:
            return _usage_error(exc)
        err.print(f"error: {exc.format_message()}", markup=False)
        return 1
    except typer.Abort:
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
        first = str(exc).splitlines()[0] if str(exc) else "unexpected failure"
        err.print(f"error: {first} (run with --debug for details)", style="red", markup=False)
        return 1


def entry() -> None:
    sys.exit(main())
