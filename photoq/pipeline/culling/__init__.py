"""Culling: a shoot's photos grouped (exact, burst, similar), ranked, picked, rated, and each
one's shooting context with the preset it recommends.

Owns grouping, ranking, picking, the facts they compare, the context rules and the sun's
position; may use ``analysis``, ``hashes`` and ``metadata``.
"""

from photoq.pipeline.culling.context import ContextResult, classify, context_facts
from photoq.pipeline.culling.facts import PhotoFacts, camera_id
from photoq.pipeline.culling.grouping import Group, GroupingOptions, group_photos
from photoq.pipeline.culling.picking import Decision, decide
from photoq.pipeline.culling.rules import context_rules, load_rules

__all__ = [
    "ContextResult",
    "Decision",
    "Group",
    "GroupingOptions",
    "PhotoFacts",
    "camera_id",
    "classify",
    "context_facts",
    "context_rules",
    "decide",
    "group_photos",
    "load_rules",
]
