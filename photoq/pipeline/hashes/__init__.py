"""Hashes: what makes two files the same photo, exactly (content) or nearly (perceptual).

Owns the content hash, the perceptual hashes and the index that finds near pairs; uses nothing
else of the pipeline.
"""

from photoq.pipeline.hashes.content import content_hash
from photoq.pipeline.hashes.perceptual import PerceptualHashes, perceptual_hashes

__all__ = ["PerceptualHashes", "content_hash", "perceptual_hashes"]
