"""The string rules the Kubernetes API server applies, in one place.

Each ``*_problem`` function returns None for a valid value, or a short sentence saying what
is wrong (to follow the field in an InputError). The rules and where they come from:

- DNS-1123 label (apimachinery ``IsDNS1123Label``): at most 63 characters of lowercase
  letters, digits and '-', starting and ending with a letter or digit. Namespace names,
  StatefulSet names.
- DNS-1035 label (``IsDNS1035Label``): a DNS-1123 label that starts with a letter. Service
  names (``ValidateServiceName``) and the Service an Ingress backend names.
- DNS-1123 subdomain (``IsDNS1123Subdomain``): at most 253 characters, DNS-1123 labels
  joined by '.'. Most object names (``NameIsDNSSubdomain``).
- Qualified name (``IsQualifiedName``): label keys and selector keys; an optional prefix
  (a DNS-1123 subdomain) and '/', then a name of at most 63 characters of letters, digits,
  '-', '_' and '.', starting and ending with a letter or digit.
- Label value (``IsValidLabelValue``): empty, or at most 63 characters of the qualified
  name's charset, starting and ending with a letter or digit.
- IANA service name (``IsValidPortName``, IANA_SVC_NAME): at most 15 characters of
  lowercase letters, digits and '-', at least one letter, no '-' at either end and no "--".
  Container port names and named ports of a NetworkPolicy.
- Port number (``IsValidPortNum``): 1-65535.
- CIDR (:func:`parse_cidr`): what Go's ``net.ParseCIDR`` parses: an IPv4 address in four
  decimal octets without leading zeros, or an IPv6 address without a zone, then '/' and a
  decimal prefix length no longer than the address; nothing around it.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Final

DNS1123_LABEL_MAX: Final = 63
"""Longest DNS-1123 label."""
DNS1123_SUBDOMAIN_MAX: Final = 253
"""Longest DNS-1123 subdomain."""
QUALIFIED_NAME_MAX: Final = 63
"""Longest name part of a qualified name (a label key without its prefix)."""
LABEL_VALUE_MAX: Final = 63
"""Longest label value."""
IANA_SVC_NAME_MAX: Final = 15
"""Longest IANA service name (a port name)."""
MIN_PORT: Final = 1
"""Lowest valid port number."""
MAX_PORT: Final = 65535
"""Highest valid port number."""

_LABEL: Final = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL: Final = re.compile(rf"{_LABEL}\Z")
_DNS1035_LABEL: Final = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN: Final = re.compile(rf"{_LABEL}(\.{_LABEL})*\Z")
_QUALIFIED: Final = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_IANA_CHARS: Final = re.compile(r"[-a-z0-9]+\Z")
_IPV4: Final = re.compile(r"(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}\Z")
_DIGITS: Final = re.compile(r"[0-9]+\Z")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# The checks are pure and a cluster repeats its names and labels on every object: each distinct
# value is checked once (the bound keeps a hostile input's many values from growing it).
_remembered = functools.lru_cache(maxsize=1 << 16)


@_remembered
def dns1123_label_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 label, or None."""
    if not value:
        return "must not be empty"
    if len(value) > DNS1123_LABEL_MAX:
        return f"must be at most {DNS1123_LABEL_MAX} characters, got {len(value)}"
    if not _DNS1123_LABEL.match(value):
        return (
            "must be a DNS-1123 label: lowercase letters, digits and '-',"
            " starting and ending with a letter or digit"
        )
    return None


def dns1035_label_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1035 label, or None."""
    if not value:
        return "must not be empty"
    if len(value) > DNS1123_LABEL_MAX:
        return f"must be at most {DNS1123_LABEL_MAX} characters, got {len(value)}"
    if not _DNS1035_LABEL.match(value):
        return (
            "must be a DNS-1035 label: lowercase letters, digits and '-',"
            " starting with a letter and ending with a letter or digit"
        )
    return None


@_remembered
def dns1123_subdomain_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 subdomain, or None."""
    if not value:
        return "must not be empty"
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        return f"must be at most {DNS1123_SUBDOMAIN_MAX} characters, got {len(value)}"
    if not _DNS1123_SUBDOMAIN.match(value):
        return (
            "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.',"
            " each dot-separated part starting and ending with a letter or digit"
        )
    return None


@_remembered
def qualified_name_problem(value: str) -> str | None:
    """Why ``value`` is not a qualified name (a label key), or None."""
    prefix, slash, name = value.rpartition("/")
    if slash:
        if not prefix:
            return "the prefix before '/' must not be empty"
        if "/" in prefix:
            return "must contain at most one '/'"
        problem = dns1123_subdomain_problem(prefix)
        if problem is not None:
            return f"the prefix {prefix!r} {problem}"
    if not name:
        return "the name part must not be empty"
    if len(name) > QUALIFIED_NAME_MAX:
        return f"the name part must be at most {QUALIFIED_NAME_MAX} characters, got {len(name)}"
    if not _QUALIFIED.match(name):
        return (
            "the name part must be letters, digits, '-', '_' and '.',"
            " starting and ending with a letter or digit"
        )
    return None


@_remembered
def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a label value, or None (the empty string is valid)."""
    if not value:
        return None
    if len(value) > LABEL_VALUE_MAX:
        return f"must be at most {LABEL_VALUE_MAX} characters, got {len(value)}"
    if not _QUALIFIED.match(value):
        return (
            "must be empty or letters, digits, '-', '_' and '.',"
            " starting and ending with a letter or digit"
        )
    return None


def iana_svc_name_problem(value: str) -> str | None:
    """Why ``value`` is not an IANA service name (a port name), or None."""
    if not value:
        return "must not be empty"
    if len(value) > IANA_SVC_NAME_MAX:
        return f"must be at most {IANA_SVC_NAME_MAX} characters, got {len(value)}"
    if not _IANA_CHARS.match(value):
        return "must contain only lowercase letters, digits and '-'"
    if value.startswith("-") or value.endswith("-"):
        return "must not start or end with '-'"
    if "--" in value:
        return "must not contain '--'"
    if not any("a" <= c <= "z" for c in value):
        return "must contain at least one letter"
    return None


def port_number_problem(value: int) -> str | None:
    """Why ``value`` is not a port number (1-65535), or None."""
    if not MIN_PORT <= value <= MAX_PORT:
        return f"{value} is outside {MIN_PORT}-{MAX_PORT}"
    return None


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IP address as Go's ``netip.ParseAddr`` reads it without a zone; ValueError otherwise.

    IPv4 is four decimal octets without leading zeros; IPv6 may end in an IPv4 address;
    a zone (``%eth0``), whitespace and any other form are refused.
    """
    if "%" in text:
        raise ValueError("zone identifiers are not allowed (an IPv6 zone such as %eth0)")
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            raise ValueError("not an IPv6 address") from None
    if not _IPV4.match(text):
        raise ValueError("not an IPv4 address (four decimal octets without leading zeros)")
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        raise ValueError("not an IPv4 address (each octet is at most 255)") from None


def parse_cidr(text: str, strict_prefix: bool = False) -> Network:
    """A CIDR as Go's ``net.ParseCIDR`` parses it, host bits cleared; ValueError otherwise.

    The prefix length may have leading zeros, as ``net.ParseCIDR`` allows; ``strict_prefix``
    refuses them, as ``netip.ParsePrefix`` (and CEL's ``isCIDR``) do.
    """
    address, slash, length = text.partition("/")
    if not slash:
        raise ValueError("a prefix length is required")
    ip = parse_ip(address)
    if not _DIGITS.match(length):
        raise ValueError("the prefix length must be a decimal number")
    if strict_prefix and len(length) > 1 and length.startswith("0"):
        raise ValueError("the prefix length must not have leading zeros")
    significant = length.lstrip("0") or "0"
    if len(significant) > 3 or int(significant) > ip.max_prefixlen:
        raise ValueError(f"the prefix length must be at most {ip.max_prefixlen}")
    return ipaddress.ip_network(f"{ip}/{int(significant)}", strict=False)
