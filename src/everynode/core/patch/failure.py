"""What every patch algorithm shares: the error it raises (with upstream's HTTP status) and a fast deep
copy of JSON values."""

from __future__ import annotations

from typing import Any


class PatchError(Exception):
    """A patch that cannot be applied; ``code`` is the HTTP status upstream answers with.

    What kube-apiserver answers (``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go``):

    - **400 BadRequest** for a malformed body: not JSON at all (``validateAndTranscodePatch``: "invalid
      JSON patch"), a JSON patch that is not an array of objects (``jsonpatch.DecodePatch`` fails), a
      merge patch that is ``null`` (``ErrBadJSONPatch``), a strategic merge patch that is not an object,
      and the strategic-patch format errors ``interpretStrategicMergePatchError`` maps to BadRequest:
      malformed ``$retainKeys`` (or a patched key missing from it), ``$setElementOrder``,
      ``$deleteFromPrimitiveList``.
    - **422 Invalid** (``NewGenericServerResponse(422)``, message "the server rejected our request due
      to an error in our request") when a well-formed JSON patch does not apply: a failed ``test``, a
      missing path, a bad index, an unknown ``op``, a missing member. Also strategic "lists of lists are
      not supported".
    - **500** (a plain Go error turned into a Status by ``ErrorToAPIStatus``, reason empty) for the other
      strategic-merge failures: an unknown ``$patch`` value, a list element without its merge key,
      ``$setElementOrder`` disagreeing with the patch list, list elements of mixed types.
    - **413** when a JSON patch has more than 10,000 operations.
    """

    def __init__(self, message: str, *, code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def clone_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars): several times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {key: clone_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clone_json(item) for item in value]
    return value
