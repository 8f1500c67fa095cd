"""Run nca 2.1.0 with two semantic fixes, to explain differences (never used for timing).

1. Kubernetes podSelector ``Exists``/``DoesNotExist`` scoping. nca 2.1.0 evaluates an ``Exists``/``DoesNotExist`` requirement of a *podSelector* only over the
pods of the policy's own namespace (``PeerContainer.get_peers_with_key(self.namespace, ...)`` in
``K8sPolicyYamlParser.parse_label_selector_requirement``). In a peer that also has a
``namespaceSelector`` this drops every pod outside the policy's namespace, although Kubernetes
applies the podSelector inside each namespace the namespaceSelector selects. (``In``/``NotIn``
and ``matchLabels`` are evaluated over all pods and are not affected.)

The fix below evaluates the requirement over all pods. That is safe because nca already
intersects the result with the right namespaces: the policy's own namespace for
``spec.podSelector`` and for a peer without ``namespaceSelector``, the selected namespaces
otherwise.

2. Calico's automatic namespace label. Calico gives every namespace the label
``projectcalico.org/name: <name>`` for ``namespaceSelector`` ("The label projectcalico.org/name is
set to the name of the namespace", Calico automatic labels). nca 2.1.0 gives a namespace only
``kubernetes.io/metadata.name`` (``K8sNamespace.__init__``), so
``namespaceSelector: projectcalico.org/name == 'kube-system'`` selects nothing. The fix adds the
label. It changes nothing for inputs whose selectors never mention that key (the Kubernetes-only
benchmark).

Run with the interpreter of ``benchmarks/.nca-venv`` and nca's usual arguments::

    benchmarks/.nca-venv/bin/python benchmarks/nca_patched.py --connectivity ...
"""

from __future__ import annotations

import sys
from typing import Any


def apply_fix() -> None:
    """Monkey-patch nca's K8s policy parser and its namespaces."""
    from nca.Parsers.K8sPolicyYamlParser import K8sPolicyYamlParser

    original = K8sPolicyYamlParser.parse_label_selector_requirement

    def parse_label_selector_requirement(
        self: Any, requirement: dict[str, Any], namespace_selector: bool
    ) -> Any:
        result = original(self, requirement, namespace_selector)  # keeps nca's validation
        operator = requirement.get("operator")
        if not namespace_selector and operator in ("Exists", "DoesNotExist"):
            return self.peer_container.get_peers_with_key(
                None, requirement["key"], operator == "DoesNotExist"
            )
        return result

    K8sPolicyYamlParser.parse_label_selector_requirement = parse_label_selector_requirement

    from nca.Resources.OtherResources.K8sNamespace import K8sNamespace

    original_init = K8sNamespace.__init__

    def namespace_init(self: Any, name: str) -> None:
        original_init(self, name)
        self.labels["projectcalico.org/name"] = self.name

    K8sNamespace.__init__ = namespace_init


def main() -> int:
    """Apply the fix and run nca's command line."""
    apply_fix()
    from nca.nca_cli import nca_main

    sys.argv[0] = "nca"
    return int(nca_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
