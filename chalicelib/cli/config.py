"""`guichet export` and `guichet import`: a tenant's configuration as versioned JSON (domain/tenant_config.py)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chalicelib.domain.errors import InvalidInput


def add_commands(commands: Any) -> None:
    export = commands.add_parser("export", help="print a tenant's configuration as JSON",
                                 description="Print the tenant's settings, routing (groups, rules, skills, queues) "
                                 "and its agents' routing and call settings, keyed by username, as JSON.")
    export.add_argument("--tenant", required=True, help="the tenant's id")
    export.set_defaults(run=export_config)
    load = commands.add_parser("import", help="apply a configuration written by `guichet export`",
                               description="Check the whole file first (nothing is written when any field is "
                               "wrong; the error names it), then change what differs. Agents are matched by "
                               "username and must exist in the tenant. Running it again changes nothing.")
    load.add_argument("--tenant", required=True, help="the tenant's id (the file's own tenant is not used)")
    load.add_argument("file", help="the JSON file, or - for stdin")
    load.set_defaults(run=import_config)


def export_config(arguments: argparse.Namespace) -> int:
    from chalicelib import bootstrap
    from chalicelib.services import tenant_config

    doc = tenant_config.export(bootstrap.container().deps, arguments.tenant, _users(arguments.tenant))
    json.dump(doc, sys.stdout, indent=2, ensure_ascii=False, sort_keys=False)
    sys.stdout.write("\n")
    return 0


def import_config(arguments: argparse.Namespace) -> int:
    from chalicelib import bootstrap
    from chalicelib.services import tenant_config

    try:
        if arguments.file == "-":
            doc = json.load(sys.stdin)
        else:
            with open(arguments.file, encoding="utf-8") as source:
                doc = json.load(source)
    except (OSError, ValueError) as error:
        raise InvalidInput(f"cannot read a JSON document: {error}", field="file") from error
    changed = tenant_config.import_(bootstrap.container().deps, arguments.tenant, doc, _users(arguments.tenant))
    print(f"Changed: {', '.join(changed)}." if changed else "Nothing to change: the tenant already has this "
          "configuration.")
    return 0


def _users(tenant: str) -> dict[str, str]:
    from chalicelib.adapters.operator_aws import tenant_users
    from chalicelib.settings import settings

    return tenant_users(settings().user_pool_id, tenant)
