"""``ghostwriter serve``: the HTTP API and web page on one host and port."""
from __future__ import annotations

from ghostwriter.commands import add_config_options, resolve_config

DEFAULT_DB = "ghostwriter-profiles.db"


def serve(args) -> int:
    from ghostwriter.errors import require

    require("fastapi", "serve")
    uvicorn = require("uvicorn", "serve")
    import logging

    from ghostwriter.serve.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(resolve_config(args), args.db)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger("ghostwriter.serve").warning(
            "listening on %s: every route needs an API key, but use TLS in front of it", args.host)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log,
                timeout_graceful_shutdown=10)
    return 0


def register(sub) -> None:
    parser = sub.add_parser("serve", help="run the completion API and web page (FastAPI + uvicorn)")
    parser.add_argument("--db", default=DEFAULT_DB,
                        help=f"profile store: a SQLite file path or sqlite:///PATH, or postgresql://USER@HOST/DB "
                             f"(default: {DEFAULT_DB}, created on first start)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    parser.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    parser.add_argument("--access-log", action="store_true", help="log every request")
    add_config_options(parser)
    parser.set_defaults(handler=serve)
