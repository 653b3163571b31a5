"""Interpretation of sequence models, one module per method (tangermeme style: ``method(model, X)``).

X is one-hot DNA ``(N, 4, L)`` (numpy or tensor, rows A C G T); results are numpy arrays. Every
function works in batches, runs the model in eval mode on ``device`` (None: the model's own) and
restores the model's mode and device afterwards. ``target`` is the task index; scores are the
task's logit unless a method says otherwise.

- saliency: gradient, gradient x input (Deep Motif Dashboard sec. 3.1), position track
- guided: guided backpropagation (Springenberg et al. 2015; Koo & Eddy 2019), saliency logos
- ism: in-silico mutagenesis
- integrated_gradients: Sundararajan et al. 2017, uniform or dinucleotide-shuffled baselines
- deeplift: DeepLIFT/DeepSHAP (Shrikumar et al. 2017; Lundberg & Lee 2017), shuffled references
- temporal: temporal output scores of recurrent networks (Deep Motif Dashboard sec. 3.2)
- classopt: class optimization (Deep Motif Dashboard sec. 3.3)
- filters: first-layer filters as PWMs (Koo & Eddy 2019)
- extract: motifs from each visualization (Deep Motif Dashboard sec. 3.4) and DeepBind's baseline
"""

from ._common import task_index
from .classopt import ClassOptProgress, ClassOptResult, class_optimization, class_optimization_steps
from .deeplift import deep_lift_shap
from .extract import (
    activation_pwms,
    extract_motifs,
    motif_from_class_optimization,
    motif_from_saliency,
    motif_from_temporal,
    saliency_window_starts,
    temporal_window_starts,
)
from .filters import filter_pwms, first_layer_activations
from .guided import guided, saliency_logo
from .integrated_gradients import integrated_gradients
from .ism import ism
from .saliency import position_saliency, saliency
from .temporal import temporal

__all__ = [
    "saliency",
    "position_saliency",
    "guided",
    "saliency_logo",
    "ism",
    "integrated_gradients",
    "temporal",
    "deep_lift_shap",
    "class_optimization",
    "class_optimization_steps",
    "ClassOptProgress",
    "ClassOptResult",
    "filter_pwms",
    "first_layer_activations",
    "activation_pwms",
    "motif_from_saliency",
    "motif_from_temporal",
    "motif_from_class_optimization",
    "extract_motifs",
    "saliency_window_starts",
    "temporal_window_starts",
    "task_index",
]
