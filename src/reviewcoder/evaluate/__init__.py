"""Evaluation: agreement between coders and the model, per theme, with intervals; reports.

- :mod:`.agreement`: pure coefficient functions over coders x units arrays (NaN = not coded).
- :mod:`.metrics`: precision, recall, F1 and theme confusions for multi-label predictions.
- :mod:`.spans`: agreement on evidence spans (exact and overlap).
- :mod:`.evaluation`: the model as one more coder (:func:`evaluate_predictions`), and agreement for
  any tidy long table (:func:`agreement_from_long`).
- :mod:`.report`: Markdown, self-contained HTML with plots, JSON.

The table function ``agreement`` lives in :mod:`.agreement` and is not re-exported here, so that
``reviewcoder.evaluate.agreement`` stays the module. Importing this package loads numpy only; matplotlib loads when a plot is drawn.
"""

from .agreement import (
    AgreementResult,
    MultiLabelAgreement,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    multilabel_agreement,
    pairwise_cohen_kappa,
    percent_agreement,
)
from .evaluation import EvaluationResult, LongAgreement, agreement_from_long, evaluate_predictions, read_predictions
from .metrics import precision_recall_f1, theme_confusion, top_confusions
from .spans import Span, span_agreement, span_f1

__all__ = [
    "AgreementResult",
    "MultiLabelAgreement",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "multilabel_agreement",
    "pairwise_cohen_kappa",
    "percent_agreement",
    "EvaluationResult",
    "LongAgreement",
    "agreement_from_long",
    "evaluate_predictions",
    "read_predictions",
    "precision_recall_f1",
    "theme_confusion",
    "top_confusions",
    "Span",
    "span_agreement",
    "span_f1",
]
