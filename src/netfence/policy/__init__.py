"""Policy languages, each compiled into the one rule model: tiers of ordered rules with actions.

One module per language (``kubernetes``, ``calico``, ``admin``) implements the
:class:`~netfence.policy.interface.PolicyLanguage` interface; ``registry`` lists them and
``layering`` orders what they compile into the layered walk the engine evaluates.
"""
