"""The MLP's ``nn.Module``: embeddings for categorical columns, then dense layers.

``MLPArchitecture`` is the whole description of the network as plain data (saved as JSON);
``TabularMLP(arch)`` builds it. Nothing but the names in ``ACTIVATIONS`` can be built, so loading
an architecture from a file never executes anything from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from modelyard.errors import SpecError, TrainingError, did_you_mean

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
}


def auto_embedding_dim(cardinality: int) -> int:
    """Embedding width for a column with ``cardinality`` categories: min(16, (card + 1) // 2)."""
    return max(1, min(16, (cardinality + 1) // 2))


@dataclass(frozen=True)
class MLPArchitecture:
    """Shape of the network.

    ``cardinalities[i]`` is the number of categories of categorical column ``i``; its embedding
    table has one more row, index 0, for a missing or unseen category.
    """

    n_numeric: int
    cardinalities: tuple[int, ...]
    embedding_dims: tuple[int, ...]
    hidden_sizes: tuple[int, ...]
    activation: str
    dropout: float
    n_outputs: int

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise SpecError(
                f"activation: unknown name {self.activation!r}; valid: "
                + ", ".join(map(repr, ACTIVATIONS)),
                hint=did_you_mean(str(self.activation), ACTIVATIONS),
            )
        if len(self.cardinalities) != len(self.embedding_dims):
            raise TrainingError(
                f"architecture: expected one embedding size per categorical column "
                f"({len(self.cardinalities)}), received {len(self.embedding_dims)}",
                hint="the saved architecture is inconsistent; retrain the model",
            )
        sizes = (
            self.n_numeric,
            self.n_outputs,
            *self.cardinalities,
            *self.embedding_dims,
            *self.hidden_sizes,
        )
        if any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in sizes):
            raise TrainingError(
                f"architecture: expected non-negative integer sizes, received {sizes}",
                hint="check hidden_sizes and embedding_dim",
            )
        if self.n_numeric + sum(self.embedding_dims) == 0 or self.n_outputs < 1:
            raise TrainingError(
                f"architecture: expected at least one input and one output, received "
                f"{self.n_numeric + sum(self.embedding_dims)} inputs and {self.n_outputs} outputs",
                hint="fit on a frame with at least one column",
            )
        if not 0.0 <= self.dropout < 1.0:
            raise SpecError(
                f"dropout: expected a number in [0, 1), received {self.dropout!r}",
                hint="dropout is the probability of zeroing a hidden unit",
            )

    @property
    def n_inputs(self) -> int:
        return self.n_numeric + sum(self.embedding_dims)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MLPArchitecture:
        try:
            return cls(
                n_numeric=int(data["n_numeric"]),
                cardinalities=tuple(int(c) for c in data["cardinalities"]),
                embedding_dims=tuple(int(d) for d in data["embedding_dims"]),
                hidden_sizes=tuple(int(h) for h in data["hidden_sizes"]),
                activation=str(data["activation"]),
                dropout=float(data["dropout"]),
                n_outputs=int(data["n_outputs"]),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise TrainingError(
                f"the saved MLP architecture is incomplete or malformed: {err}",
                hint="retrain and save the model again",
            ) from err


class TabularMLP(nn.Module):
    """``forward(x_num (n, n_numeric) float, x_cat (n, n_categorical) long) -> (n, n_outputs)``.

    Each hidden layer is Linear -> activation -> Dropout; the head is a plain Linear (logits for
    classification, the standardised value for regression).
    """

    def __init__(self, arch: MLPArchitecture) -> None:
        super().__init__()
        self.arch = arch
        self.embeddings = nn.ModuleList(
            nn.Embedding(card + 1, dim)
            for card, dim in zip(arch.cardinalities, arch.embedding_dims, strict=True)
        )
        layers: list[nn.Module] = []
        width = arch.n_inputs
        for size in arch.hidden_sizes:
            layers += [
                nn.Linear(width, size),
                ACTIVATIONS[arch.activation](),
                nn.Dropout(arch.dropout),
            ]
            width = size
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, arch.n_outputs)

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        parts = [x_num]  # (n, n_numeric)
        parts += [emb(x_cat[:, i]) for i, emb in enumerate(self.embeddings)]  # each (n, dim_i)
        features = torch.cat(parts, dim=1) if len(parts) > 1 else x_num  # (n, n_inputs)
        return self.head(self.body(features))  # (n, n_outputs)
