"""The desk: `delight serve`, the weekly loop in a browser for the whole ops team.

Another face on the same library as the command line: ``app`` builds the FastAPI application,
``routes`` holds one module per area (sign-in, the week, printing, planning, listening, the
report, the JSON API), ``templates`` and ``static`` what the browser gets (htmx is vendored,
see ``static/VENDOR.txt``). Only `delight serve` imports this package.
"""
