"""Command-line interface: typer commands that parse options, call the library and print."""
