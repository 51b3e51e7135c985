"""Finding the kubectl binaries tests drive: PATH's, and the versioned ones installed beside it."""

from __future__ import annotations

import os
import shutil


def kubectl_path(version: str | None = None) -> str | None:
    """PATH's kubectl, or ``kubectl.<version>`` beside the file it links to; None when missing."""
    found = shutil.which("kubectl")
    if found is None or version is None:
        return found
    versioned = os.path.join(os.path.dirname(os.path.realpath(found)), f"kubectl.{version}")
    return versioned if os.path.exists(versioned) else None
