"""Read a baseline file (``.netfence.yaml``): findings accepted, each with a reason.

```yaml
accept:
  - check: NF015
    resource: DaemonSet/calico-system/calico-node   # Kind/namespace/name, or "*"
    reason: the CNI agent needs the host network
    expires: 2027-06-30                             # optional
```
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from netfence.errors import InputError
from netfence.model.findings import Acceptance
from netfence.sources.fields import Field
from netfence.sources.manifests import MAX_INPUT_BYTES, parse_text

DEFAULT_BASELINE = ".netfence.yaml"
"""Read from the working directory when no --baseline is given and the file exists."""


def load_baseline(path: str) -> list[Acceptance]:
    """Parse a baseline file; InputError on any malformed entry."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte, which only a library caller can pass
        raise InputError(f"{path!r}: a file name cannot hold a NUL byte") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{path}: baseline is over the {MAX_INPUT_BYTES}-byte limit")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: baseline is not UTF-8 text") from None
    entries: list[Acceptance] = []
    for doc in parse_text(text, path):
        root = Field.root(doc)
        root.mapping()
        accept = root.get("accept")
        for item in accept.items() if accept is not None else ():
            item.mapping()
            check_id = item.require("check").string()
            resource = item.require("resource").string()
            reason_field = item.require("reason")
            reason = reason_field.string().strip()
            if not reason:
                raise reason_field.error("a reason is required")
            expires = None
            expires_field = item.get("expires")
            if expires_field is not None:
                value = expires_field.value
                if isinstance(value, datetime.datetime):
                    expires = value.date()
                elif isinstance(value, datetime.date):
                    expires = value
                else:
                    try:
                        expires = datetime.date.fromisoformat(expires_field.string())
                    except ValueError:
                        raise expires_field.error(
                            f"expected a date YYYY-MM-DD, got {expires_field.value!r}"
                        ) from None
            entries.append(Acceptance(check_id, resource, reason, expires, path, item.line))
    return entries


def is_expired(entry: Acceptance, today: datetime.date) -> bool:
    """Whether the entry's date has passed (it expires at the end of its ``expires`` day)."""
    return entry.expires is not None and entry.expires < today


def unused_entries(
    entries: Sequence[Acceptance],
    used: Iterable[Acceptance],
    checked: Iterable[str],
    today: datetime.date,
) -> tuple[list[Acceptance], list[Acceptance]]:
    """The entries to tell the user about: (expired, unused).

    Expired entries accept nothing whatever they would match. Unused ones are live entries of
    a check that ran (``checked``) that accepted no finding: the finding they were written
    for is gone, or the entry never named it rightly. Entries of checks not run
    (``--select``, ``--ignore``) are neither.
    """
    used_ids = {id(entry) for entry in used}
    ran = set(checked)
    expired = [e for e in entries if is_expired(e, today)]
    unused = [
        e
        for e in entries
        if not is_expired(e, today) and id(e) not in used_ids and e.check_id in ran
    ]
    return expired, unused
