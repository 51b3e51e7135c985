"""CustomResourceDefinitions (``apiextensions.k8s.io/v1``), the pure part: no I/O, no HTTP.

What a definition must be, and what it serves, as apiextensions-apiserver decides it:

- definitions: :mod:`.definition` (defaults; validation on create, update and ``/status``), with
  :mod:`.parts` (names, subresources, printer columns, stored versions, API approval),
  :mod:`.conversion`, :mod:`.schemarules` (the rules on each schema node), :mod:`.structural` and
  :mod:`.structuralcheck` (structural schemas), :mod:`.defaultcheck` (defaults valid and pruned) and
  :mod:`.fieldpath`; :mod:`.status` is the status the naming and establishing controllers give one;
- custom resources: :mod:`.schema` compiles a version's schema once and uses it on every write:
  :mod:`.pruning`, :mod:`.defaulting`, :mod:`.valuevalidation` (kube-openapi's ``validate`` package
  and its messages, with :mod:`.formats` and :mod:`.goregex`), :mod:`.objectmeta` (embedded objects)
  and :mod:`.listtype` (list sets and maps);
- serving: :mod:`.printer` (table columns, with :mod:`.jsonpath`) and :mod:`.openapi` (the OpenAPI
  v3 and v2 definitions of a served version, in :mod:`.kubeopenapi`'s published form) with
  :mod:`.openapi_paths` (its operations).

:mod:`.gofmt` prints values as Go does in the messages. ``x-kubernetes-validations`` (CEL rules) are
checked for shape, published, and never evaluated: an object a rule would refuse is accepted.
"""
