"""`briefkit serve`: the library's operations as a JSON HTTP API and one page, over one warm Workspace.

:mod:`.app` builds the ASGI app (routes call the same library functions as the CLI),
:mod:`.guard` holds the safety rules (token, allowed hosts, body limits), :mod:`.jobs` the
bounded generation queue, :mod:`.serve` warms the models and runs uvicorn, and ``static/`` holds the
page (plain HTML, CSS and JavaScript, no build step).
"""
