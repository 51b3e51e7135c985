"""Role, ClusterRole, RoleBinding and ClusterRoleBinding tables.

Roles have no printer of their own upstream: they get the generic Name / Created At table, which is
``core.DEFAULT``. Bindings show the role they grant (``ClusterRole/view``) and, in wide output, their
subjects by kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from everynode.apiserver.tables.columns import (
    AGE,
    NAME,
    Cells,
    Column,
    Printer,
    items,
    mapping,
    metadata,
    name_of,
    text,
    wide,
)
from everynode.apiserver.tables.core import DEFAULT
from everynode.apiserver.tables.timefmt import since

ROLES = DEFAULT
CLUSTER_ROLES = DEFAULT


def subject_names(subjects: Any) -> tuple[str, str, str]:
    """The USERS, GROUPS and SERVICEACCOUNTS cells: names joined by ``", "``, service accounts as
    ``namespace/name``. Subjects of any other kind are left out, as upstream does."""
    users: list[str] = []
    groups: list[str] = []
    accounts: list[str] = []
    for subject in items(subjects):
        kind, name = subject.get("kind"), text(subject.get("name"))
        if kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
        elif kind == "ServiceAccount":
            accounts.append(f"{text(subject.get('namespace'))}/{name}")
    return ", ".join(users), ", ".join(groups), ", ".join(accounts)


def binding_cells(binding: Mapping[str, Any], now: datetime) -> Cells:
    role_ref = mapping(binding.get("roleRef"))
    return [
        name_of(binding),
        f"{text(role_ref.get('kind'))}/{text(role_ref.get('name'))}",
        since(metadata(binding).get("creationTimestamp"), now),
        *subject_names(binding.get("subjects")),
    ]


ROLE_BINDINGS = Printer(
    (
        NAME,
        Column("Role", description="The role the binding grants, as kind/name."),
        AGE,
        wide("Users", "Users the binding grants the role to."),
        wide("Groups", "Groups the binding grants the role to."),
        wide("ServiceAccounts", "Service accounts the binding grants the role to, as namespace/name."),
    ),
    binding_cells,
)
CLUSTER_ROLE_BINDINGS = ROLE_BINDINGS  # same columns and cells upstream
