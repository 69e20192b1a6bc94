"""Quality: a frame's technical score (1–5) with sub-scores and the reasons behind it.

Owns sharpness, motion blur, noise, exposure, faces and open or closed eyes; uses nothing else
of the pipeline.
"""

from photoq.pipeline.quality.faces import Face, FaceScan, detect_faces
from photoq.pipeline.quality.score import QualityReport, assess_quality

__all__ = ["Face", "FaceScan", "QualityReport", "assess_quality", "detect_faces"]
