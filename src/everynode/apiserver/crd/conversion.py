"""``spec.conversion`` of a CustomResourceDefinition (``validateCustomResourceConversion`` and the
webhook client rules of ``k8s.io/apiserver/pkg/util/webhook``).

Paths and wording are upstream's, which validates its internal form: the v1 ``conversion.webhook
.clientConfig`` is reported as ``spec.conversion.webhookClientConfig`` and ``conversion.webhook
.conversionReviewVersions`` as ``spec.conversion.conversionReviewVersions``.

A ``Webhook`` strategy is accepted and stored, but everynode never calls the webhook: every served
version is read and written as stored. The ``caBundle`` is not checked (upstream checks it only once
a definition is established, and only that it holds certificates).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from everynode.apiserver.validation.fields import Errors, as_dict, as_int, child, index
from everynode.core import names
from everynode.core.fielderrors import forbidden, invalid, not_supported, required
from everynode.core.types import Obj

STRATEGIES = ("None", "Webhook")
ACCEPTED_REVIEW_VERSIONS = ("v1", "v1beta1")
_FORM = "; desired format: https://host[/path]"
_NOT_WEBHOOK = "should not be set when strategy is not set to Webhook"


def internal(conversion: Any) -> tuple[str, Obj | None, list[Any] | None]:
    """The strategy, client config and review versions as upstream's internal type holds them."""
    conversion = as_dict(conversion)
    webhook = conversion.get("webhook")
    strategy = conversion.get("strategy") if isinstance(conversion.get("strategy"), str) else ""
    if not isinstance(webhook, dict):
        return strategy, None, None
    config = webhook.get("clientConfig")
    versions = webhook.get("conversionReviewVersions")
    return (
        strategy,
        config if isinstance(config, dict) else None,
        versions if isinstance(versions, list) else None,
    )


def has_accepted_review_version_or_empty(conversion: Any) -> bool:
    """``hasValidConversionReviewVersionOrEmpty`` of a (stored) definition's conversion."""
    _, _, versions = internal(conversion)
    return not versions or any(v in ACCEPTED_REVIEW_VERSIONS for v in versions)


def validate_conversion(conversion: Any, path: str, *, require_recognized: bool) -> Errors:
    if conversion is None:
        return []
    strategy, config, versions = internal(conversion)
    errs: Errors = []
    if not strategy:
        errs.append(required(child(path, "strategy"), ""))
    elif strategy not in STRATEGIES:
        errs.append(not_supported(child(path, "strategy"), strategy, STRATEGIES))
    config_path = child(path, "webhookClientConfig")
    if strategy == "Webhook":
        if config is None:
            errs.append(required(config_path, "required when strategy is set to Webhook"))
        else:
            errs.extend(_client_config(config, config_path))
        errs.extend(_review_versions(versions, child(path, "conversionReviewVersions"), require_recognized))
    else:
        if config is not None:
            errs.append(forbidden(config_path, _NOT_WEBHOOK))
        if versions:
            errs.append(forbidden(child(path, "conversionReviewVersions"), _NOT_WEBHOOK))
    return errs


def _client_config(config: Obj, path: str) -> Errors:
    url, service = config.get("url"), config.get("service")
    if (url is None) == (service is None):
        return [required(path, "exactly one of url or service is required")]
    if isinstance(url, str):
        return validate_webhook_url(url, child(path, "url"))
    return validate_webhook_service(as_dict(service), child(path, "service"))


def validate_webhook_url(url: str, path: str) -> Errors:
    """``ValidateWebhookURL`` with https required."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as error:
        return [required(path, f"url must be a valid URL: {error}{_FORM}")]
    errs: Errors = []
    if parts.scheme != "https":
        errs.append(invalid(path, parts.scheme, "'https' is the only allowed URL scheme" + _FORM))
    if not parts.netloc.rpartition("@")[2]:
        errs.append(invalid(path, host, "host must be specified" + _FORM))
    if "@" in parts.netloc:
        errs.append(
            invalid(path, parts.netloc.rpartition("@")[0], "user information is not permitted in the URL")
        )
    if parts.fragment:
        errs.append(invalid(path, parts.fragment, "fragments are not permitted in the URL"))
    if parts.query:
        errs.append(invalid(path, parts.query, "query parameters are not permitted in the URL"))
    return errs


def validate_webhook_service(service: Obj, path: str) -> Errors:
    """``ValidateWebhookService`` (the port defaults to 443)."""
    errs: Errors = []
    if not service.get("name"):
        errs.append(required(child(path, "name"), "service name is required"))
    if not service.get("namespace"):
        errs.append(required(child(path, "namespace"), "service namespace is required"))
    port = as_int(service.get("port"))
    port = 443 if port is None else port
    if problems := names.is_valid_port_num(port):
        errs.append(invalid(child(path, "port"), port, "port is not valid: " + ", ".join(problems)))
    url_path = service.get("path")
    if not isinstance(url_path, str) or url_path in ("", "/"):
        return errs
    path_path = child(path, "path")
    if url_path == "//":
        return [*errs, invalid(path_path, url_path, "segment[0] may not be empty")]
    if not url_path.startswith("/"):
        errs.append(invalid(path_path, url_path, "must start with a '/'"))
    steps = url_path[1:].removesuffix("/").split("/")
    for i, step in enumerate(steps):
        if not step:
            errs.append(invalid(path_path, url_path, f"segment[{i}] may not be empty"))
            continue
        errs.extend(
            invalid(path_path, url_path, f"segment[{i}]: {m}") for m in names.is_dns1123_subdomain(step)
        )
    return errs


def _review_versions(versions: list[Any] | None, path: str, require_recognized: bool) -> Errors:
    if not versions:
        return [required(path, "")]
    errs: Errors = []
    seen: set[str] = set()
    for i, version in enumerate(versions):
        text = version if isinstance(version, str) else str(version)
        if text in seen:
            errs.append(invalid(index(path, i), text, "duplicate version"))
            continue
        seen.add(text)
        errs.extend(invalid(index(path, i), text, m) for m in names.is_dns1035_label(text))
    if require_recognized and not seen & set(ACCEPTED_REVIEW_VERSIONS):
        detail = "must include at least one of " + ", ".join(ACCEPTED_REVIEW_VERSIONS)
        errs.append(invalid(path, versions, detail))
    return errs
