"""ValidatingWebhookConfiguration and MutatingWebhookConfiguration validation
(``ValidateValidatingWebhookConfiguration[Update]``, ``ValidateMutatingWebhookConfiguration[Update]``
in ``pkg/apis/admissionregistration/validation/validation.go``, and ``ValidateWebhookURL`` /
``ValidateWebhookService`` from ``k8s.io/apiserver/pkg/util/webhook``).

On create every rule applies. An update is held to a rule only if what is stored already keeps it
(upstream's ``validationOptions`` from the old object): stored webhooks with side effects, with no
AdmissionReview version this server accepts, with repeated names or with selector values the strict
rules refuse may be updated without fixing that; unchanged match conditions are not checked again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from everynode.apiserver.validation.admission_rules import (
    FAILURE_POLICIES,
    MATCH_POLICIES,
    conditions_of,
    has_invalid_label_values,
    validate_match_conditions,
    validate_rule_with_operations,
    validate_selector,
)
from everynode.apiserver.validation.fields import (
    Errors,
    as_dict,
    as_int,
    as_str,
    child,
    dicts,
    go_string_slice,
    index,
    strings,
)
from everynode.apiserver.validation.meta import validate_object_meta, validate_object_meta_update
from everynode.core import names
from everynode.core.fielderrors import duplicate, invalid, not_supported, required
from everynode.core.types import Obj

__all__ = [
    "validate_mutating_webhook_configuration",
    "validate_mutating_webhook_configuration_update",
    "validate_validating_webhook_configuration",
    "validate_validating_webhook_configuration_update",
    "validate_webhook_service",
    "validate_webhook_url",
]

SIDE_EFFECT_CLASSES = ("None", "NoneOnDryRun", "Some", "Unknown")
NO_SIDE_EFFECT_CLASSES = ("None", "NoneOnDryRun")
REINVOCATION_POLICIES = ("IfNeeded", "Never")
ACCEPTED_REVIEW_VERSIONS = ("v1", "v1beta1")  # the AdmissionReview versions a 1.17+ server sends
MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS = 1, 30
_URL_FORM = "; desired format: https://host[/path]"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class _Options:
    """Which rules apply: all of them on create; on update, those the stored object keeps."""

    check_match_conditions: bool = True
    require_no_side_effects: bool = True
    require_recognized_review_version: bool = True
    require_unique_names: bool = True
    allow_invalid_label_values: bool = False


_CREATE = _Options()


def _fully_qualified_name(name: str, path: str) -> Errors:
    """``IsFullyQualifiedName``: a DNS subdomain of at least three labels (``webhook.example.com``)."""
    if not name:
        return [required(path)]
    problems = names.is_dns1123_subdomain(name)
    if problems:
        return [invalid(path, name, ",".join(problems))]
    if len(name.split(".")) < 3:
        return [invalid(path, name, "should be a domain with at least three segments separated by dots")]
    return []


def _url_parse_error(url: str) -> str | None:
    """Why Go's ``url.Parse`` would refuse ``url``, for the cases a manifest meets; None if it parses."""
    if _CONTROL.search(url):
        return "net/url: invalid control character in URL"
    if url.startswith(":"):
        return "missing protocol scheme"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "missing ']' in host"
    host = parts.netloc.rpartition("@")[2]
    port = host.rpartition("]")[2] if host.startswith("[") else host
    _, colon, digits = port.rpartition(":")
    if colon and not digits.isdigit() and digits:
        return f'invalid port ":{digits}" after host'
    return None


def validate_webhook_url(url: str, path: str) -> Errors:
    """``ValidateWebhookURL`` with https forced: a parseable ``https://host[/path]`` without user
    information, query or fragment."""
    reason = _url_parse_error(url)
    if reason is not None:
        return [required(path, f'url must be a valid URL: parse "{url}": {reason}{_URL_FORM}')]
    parts = urlsplit(url)
    user, at, host = parts.netloc.rpartition("@")
    errs: Errors = []
    if parts.scheme != "https":
        errs.append(invalid(path, parts.scheme, "'https' is the only allowed URL scheme" + _URL_FORM))
    if not host:
        errs.append(invalid(path, host, "host must be provided" + _URL_FORM))
    if at:
        errs.append(invalid(path, user, "user information is not permitted in the URL"))
    if parts.fragment:
        errs.append(invalid(path, parts.fragment, "fragments are not permitted in the URL"))
    if parts.query:
        errs.append(invalid(path, parts.query, "query parameters are not permitted in the URL"))
    return errs


def validate_webhook_service(service: Obj, path: str) -> Errors:
    """``ValidateWebhookService``: a named service in a namespace, a valid (defaulted) port, and a path
    of DNS-subdomain segments."""
    errs: Errors = []
    if not as_str(service.get("name")):
        errs.append(required(child(path, "name"), "service name is required"))
    if not as_str(service.get("namespace")):
        errs.append(required(child(path, "namespace"), "service namespace is required"))
    port = as_int(service.get("port")) or 0
    problems = names.is_valid_port_num(port)
    if problems:
        errs.append(invalid(child(path, "port"), port, "port is not valid: " + ", ".join(problems)))
    url_path = service.get("path")
    if not isinstance(url_path, str) or url_path in ("", "/"):
        return errs
    path_path = child(path, "path")
    if url_path == "//":
        return [*errs, invalid(path_path, url_path, "segment[0] may not be empty")]
    if not url_path.startswith("/"):
        errs.append(invalid(path_path, url_path, "must start with a '/'"))
    steps = url_path[1:]
    if steps.endswith("/"):
        steps = steps[:-1]
    for i, step in enumerate(steps.split("/")):
        if not step:
            errs.append(invalid(path_path, url_path, f"segment[{i}] may not be empty"))
            continue
        errs.extend(
            invalid(path_path, url_path, f"segment[{i}]: {problem}")
            for problem in names.is_dns1123_subdomain(step)
        )
    return errs


def _client_config(config: Any, path: str) -> Errors:
    """Exactly one of ``url`` and ``service`` (an empty url counts as given, as Go's pointer does)."""
    cc = as_dict(config)
    url, service = cc.get("url"), cc.get("service")
    if (url is None) == (service is None):
        return [required(path, "exactly one of url or service is required")]
    if url is not None:
        return validate_webhook_url(as_str(url), child(path, "url"))
    return validate_webhook_service(as_dict(service), child(path, "service"))


def _review_versions(versions: list[str], opts: _Options, path: str) -> Errors:
    """``validateAdmissionReviewVersions``: given, not repeated, DNS-1035 labels, and (unless the stored
    object lacked one) at least one this server sends."""
    accepted = ", ".join(ACCEPTED_REVIEW_VERSIONS)
    if not versions:
        return [required(path, f"must specify one of {accepted}")]
    errs: Errors = []
    seen: set[str] = set()
    for i, version in enumerate(versions):
        if version in seen:
            errs.append(invalid(index(path, i), version, "duplicate version"))
            continue
        seen.add(version)
        errs.extend(invalid(index(path, i), version, msg) for msg in names.is_dns1035_label(version))
    if opts.require_recognized_review_version and not seen & set(ACCEPTED_REVIEW_VERSIONS):
        detail = f"must include at least one of {accepted}"
        errs.append(invalid(path, versions, detail, value_text=go_string_slice(versions)))
    return errs


def _webhook(hook: Obj, opts: _Options, path: str, *, mutating: bool) -> Errors:
    """``validateValidatingWebhook`` / ``validateMutatingWebhook``."""
    errs = _fully_qualified_name(as_str(hook.get("name")), child(path, "name"))
    for i, rule in enumerate(dicts(hook.get("rules"))):
        errs.extend(validate_rule_with_operations(rule, index(child(path, "rules"), i)))
    failure = hook.get("failurePolicy")
    if failure is not None and failure not in FAILURE_POLICIES:
        errs.append(not_supported(child(path, "failurePolicy"), as_str(failure), FAILURE_POLICIES))
    match = hook.get("matchPolicy")
    if match is not None and match not in MATCH_POLICIES:
        errs.append(not_supported(child(path, "matchPolicy"), as_str(match), MATCH_POLICIES))
    allowed = NO_SIDE_EFFECT_CLASSES if opts.require_no_side_effects else SIDE_EFFECT_CLASSES
    side_effects = hook.get("sideEffects")
    if side_effects is None:
        errs.append(required(child(path, "sideEffects"), f"must specify one of {', '.join(allowed)}"))
    elif side_effects not in allowed:
        errs.append(not_supported(child(path, "sideEffects"), as_str(side_effects), allowed))
    timeout = as_int(hook.get("timeoutSeconds"))
    if timeout is not None and not MIN_TIMEOUT_SECONDS <= timeout <= MAX_TIMEOUT_SECONDS:
        detail = "the timeout value must be between 1 and 30 seconds"
        errs.append(invalid(child(path, "timeoutSeconds"), timeout, detail))
    for key in ("namespaceSelector", "objectSelector"):
        if hook.get(key) is not None:
            errs.extend(
                validate_selector(
                    hook.get(key), child(path, key), allow_invalid_values=opts.allow_invalid_label_values
                )
            )
    reinvocation = hook.get("reinvocationPolicy")
    if mutating and reinvocation is not None and reinvocation not in REINVOCATION_POLICIES:
        errs.append(
            not_supported(child(path, "reinvocationPolicy"), as_str(reinvocation), REINVOCATION_POLICIES)
        )
    errs.extend(_client_config(hook.get("clientConfig"), child(path, "clientConfig")))
    if opts.check_match_conditions:
        errs.extend(validate_match_conditions(hook.get("matchConditions"), child(path, "matchConditions")))
    return errs


def _configuration(config: Obj, opts: _Options, *, mutating: bool) -> Errors:
    errs = validate_object_meta(
        config.get("metadata"), namespaced=False, name_fn=names.name_is_dns_subdomain, kube_finalizers=False
    )
    seen: set[str] = set()
    for i, hook in enumerate(dicts(config.get("webhooks"))):
        path = index("webhooks", i)
        errs.extend(_webhook(hook, opts, path, mutating=mutating))
        errs.extend(
            _review_versions(
                strings(hook.get("admissionReviewVersions")), opts, child(path, "admissionReviewVersions")
            )
        )
        name = as_str(hook.get("name"))
        if opts.require_unique_names and name:
            if name in seen:
                errs.append(duplicate(child(path, "name"), name))
            seen.add(name)
    return errs


def _update_options(new: Obj, old: Obj) -> _Options:
    """Upstream's options for an update, from what is stored."""
    new_hooks, old_hooks = dicts(new.get("webhooks")), dicts(old.get("webhooks"))
    old_names = [as_str(hook.get("name")) for hook in old_hooks]
    return _Options(
        check_match_conditions=len(new_hooks) != len(old_hooks)
        or conditions_of(new_hooks) != conditions_of(old_hooks),
        require_no_side_effects=all(hook.get("sideEffects") in NO_SIDE_EFFECT_CLASSES for hook in old_hooks),
        require_recognized_review_version=all(
            not versions or set(versions) & set(ACCEPTED_REVIEW_VERSIONS)
            for versions in (strings(hook.get("admissionReviewVersions")) for hook in old_hooks)
        ),
        require_unique_names=len(set(old_names)) == len(old_names),
        allow_invalid_label_values=has_invalid_label_values(
            [hook.get(key) for hook in old_hooks for key in ("namespaceSelector", "objectSelector")]
        ),
    )


def validate_validating_webhook_configuration(config: Obj) -> Errors:
    return _configuration(config, _CREATE, mutating=False)


def validate_validating_webhook_configuration_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    errs.extend(_configuration(new, _update_options(new, old), mutating=False))
    return errs


def validate_mutating_webhook_configuration(config: Obj) -> Errors:
    return _configuration(config, _CREATE, mutating=True)


def validate_mutating_webhook_configuration_update(new: Obj, old: Obj) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False)
    errs.extend(_configuration(new, _update_options(new, old), mutating=True))
    return errs
