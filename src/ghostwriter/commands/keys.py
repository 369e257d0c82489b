"""``ghostwriter keys create | revoke | list``: API keys of the service, stored hashed."""
from __future__ import annotations

import sys

from ghostwriter.commands.serve import DEFAULT_DB


def keys_create(args) -> int:
    from ghostwriter.serve.store import open_store

    store = open_store(args.db)
    try:
        key = store.create_key(args.tenant)
    finally:
        store.close()
    print(key)
    print(f"created a key for tenant {args.tenant!r}; it is shown only now (the store keeps its hash)",
          file=sys.stderr)
    return 0


def keys_revoke(args) -> int:
    from ghostwriter.serve.store import open_store

    store = open_store(args.db)
    try:
        count = store.revoke_key(args.key)
    finally:
        store.close()
    print(f"revoked {count} key(s)")
    return 0


def keys_list(args) -> int:
    from ghostwriter.serve.store import open_store

    store = open_store(args.db)
    try:
        rows = store.list_keys()
    finally:
        store.close()
    for row in rows:
        print(f"{row['prefix']}  {row['tenant']}  {'revoked' if row['revoked'] else 'active'}")
    return 0


def register(sub) -> None:
    keys = sub.add_parser("keys", help="create, revoke or list API keys of `ghostwriter serve`")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="SUBCOMMAND", required=True)
    db_help = f"the profile store (default: {DEFAULT_DB}); the same --db that serve uses"

    create = keys_sub.add_parser("create", help="make a key for a tenant (created if new) and print it once")
    create.add_argument("--tenant", required=True, help="the tenant the key speaks for; it sees only its users")
    create.add_argument("--db", default=DEFAULT_DB, help=db_help)
    create.set_defaults(handler=keys_create)

    revoke = keys_sub.add_parser("revoke", help="revoke a key, given whole or by its first 10 characters")
    revoke.add_argument("key")
    revoke.add_argument("--db", default=DEFAULT_DB, help=db_help)
    revoke.set_defaults(handler=keys_revoke)

    listing = keys_sub.add_parser("list", help="list keys by prefix and tenant (never the secret)")
    listing.add_argument("--db", default=DEFAULT_DB, help=db_help)
    listing.set_defaults(handler=keys_list)
