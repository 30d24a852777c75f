"""Search-space presets for common training set-ups, with ranges from practice.

Each preset is a ``Preset``: a ``Space`` (use it with ``study.ask(space)``, grids, the CLI) that
also knows which parameters are conditional and how the learning rate follows the batch size::

    space = rheostat.presets.adamw()
    def objective(trial):
        cfg = space.suggest(trial)        # define-by-run: only the parameters that apply
        return train(**cfg)

``suggest(trial)`` and ``resolve(params)`` return the configuration to train with: the
parameters that apply (``cosine_min_lr_ratio`` only for ``schedule="cosine"``, ``step_gamma``
only for ``"step"``) and ``lr``. With ``lr_scaling="sqrt"`` or ``"linear"`` the searched
parameter is ``base_lr``, the learning rate at ``base_batch_size``, and ``lr`` is
``scale_lr(base_lr, batch_size, base_batch_size, lr_scaling)``: the rate grows with the square
root of the batch size (Krizhevsky 2014, "One weird trick for parallelizing convolutional neural
networks"; Malladi et al. 2022 for Adam) or linearly with it (Goyal et al. 2017, "Accurate,
Large Minibatch SGD"), so one ``base_lr`` suits every batch size. A declarative ``Space`` holds
every parameter; for ask/tell, pass ``trial.params`` through ``resolve``.

Shared by every preset: ``warmup_ratio`` (fraction of the steps with a linear warm-up, 0 to 10%:
Goyal et al. warm up 5 of 90 epochs, BERT 10%, RoBERTa 6%) and ``schedule`` (``cosine``:
Loshchilov & Hutter 2017, SGDR; ``linear`` decay to 0, as BERT; ``step``, as ResNet;
``constant``).

>>> space = adamw(lr_scaling="sqrt", base_batch_size=64)
>>> space["base_lr"].log, space["weight_decay"].log
(True, True)
>>> params = {"base_lr": 1e-3, "batch_size": 256, "schedule": "step", "step_gamma": 0.2,
...           "cosine_min_lr_ratio": 0.05, "beta2": 0.98, "weight_decay": 0.01, "warmup_ratio": 0.0}
>>> cfg = space.resolve(params)
>>> round(cfg["lr"], 6), "cosine_min_lr_ratio" in cfg, cfg["step_gamma"]
(0.002, False, 0.2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from rheostat.distributions import Categorical, Distribution, Float, Int, ParamValue
from rheostat.space import Space

__all__ = [
    "LR_SCALING",
    "Preset",
    "SuggestsParams",
    "adam",
    "adamw",
    "rmsprop",
    "scale_lr",
    "sgd_momentum",
    "transformer_finetune",
]

LR_SCALING = ("none", "sqrt", "linear")
"""How the learning rate follows the batch size."""


class SuggestsParams(Protocol):
    """What ``Preset.suggest`` needs of a trial: ``rheostat.Trial`` has it."""

    def suggest(self, name: str, distribution: Distribution) -> ParamValue: ...


def scale_lr(lr: float, batch_size: int, base_batch_size: int, rule: str) -> float:
    """``lr`` tuned at ``base_batch_size``, moved to ``batch_size`` by ``rule``: ``"none"``,
    ``"sqrt"`` (times ``sqrt(batch_size / base_batch_size)``) or ``"linear"``.

    >>> scale_lr(0.1, 1024, 256, "linear"), scale_lr(1e-3, 1024, 256, "sqrt")
    (0.4, 0.002)
    """
    if rule not in LR_SCALING:
        raise ValueError(f"scale_lr: rule={rule!r} is not one of {LR_SCALING}")
    if batch_size <= 0 or base_batch_size <= 0:
        raise ValueError(
            f"scale_lr: batch sizes must be positive, got {batch_size} and {base_batch_size}"
        )
    ratio = batch_size / base_batch_size
    return lr * {"none": 1.0, "sqrt": math.sqrt(ratio), "linear": ratio}[rule]


class Preset(Space):
    """A ``Space`` with conditional parameters and a learning-rate coupling. Immutable.

    ``conditions`` maps a parameter to ``(parent, values)``: it applies only when the parent
    takes one of ``values``. ``source`` says where the ranges come from.
    """

    __slots__ = ("base_batch_size", "conditions", "lr_scaling", "name", "source")

    def __init__(
        self,
        name: str,
        params: Mapping[str, Distribution],
        *,
        conditions: Mapping[str, tuple[str, tuple[ParamValue, ...]]],
        lr_scaling: str,
        base_batch_size: int,
        source: str,
    ) -> None:
        if lr_scaling not in LR_SCALING:
            raise ValueError(f"{name}(): lr_scaling={lr_scaling!r} is not one of {LR_SCALING}")
        if isinstance(base_batch_size, bool) or not isinstance(base_batch_size, int):
            raise TypeError(f"{name}(): base_batch_size must be an int, got {base_batch_size!r}")
        if base_batch_size < 1:
            raise ValueError(f"{name}(): base_batch_size must be >= 1, got {base_batch_size}")
        super().__init__(params)
        self.name = name
        self.conditions = dict(conditions)
        self.lr_scaling = lr_scaling
        self.base_batch_size = base_batch_size
        self.source = source

    def __repr__(self) -> str:
        return (
            f"Preset({self.name!r}, lr_scaling={self.lr_scaling!r}, "
            f"base_batch_size={self.base_batch_size}, params={super().__repr__()})"
        )

    @property
    def lr_param(self) -> str:
        """The searched learning-rate parameter: ``lr``, or ``base_lr`` with a coupling."""
        return "lr" if self.lr_scaling == "none" else "base_lr"

    def active(self, name: str, params: Mapping[str, ParamValue]) -> bool:
        """Whether ``name`` applies given the other parameters."""
        cond = self.conditions.get(name)
        return cond is None or params.get(cond[0]) in cond[1]

    def resolve(self, params: Mapping[str, ParamValue]) -> dict[str, ParamValue]:
        """The configuration to train with: the parameters that apply, and ``lr`` scaled to the
        batch size (``base_lr`` kept) when there is a coupling."""
        out = {n: params[n] for n in self if n in params and self.active(n, params)}
        if self.lr_scaling != "none":
            base, batch = out.get("base_lr"), out.get("batch_size")
            if not isinstance(base, (int, float)) or not isinstance(batch, int):
                raise ValueError(
                    f"{self.name}: resolve needs a numeric 'base_lr' and an int 'batch_size', "
                    f"got {base!r} and {batch!r}"
                )
            out["lr"] = scale_lr(float(base), batch, self.base_batch_size, self.lr_scaling)
        return out

    def suggest(self, trial: SuggestsParams) -> dict[str, ParamValue]:
        """Suggest this preset's parameters define-by-run (conditional ones only when they
        apply) and return ``resolve`` of them."""
        params: dict[str, ParamValue] = {}
        for name, dist in self.items():
            if self.active(name, params):
                params[name] = trial.suggest(name, dist)
        return self.resolve(params)


def _build(
    name: str,
    lr: Float,
    specific: Mapping[str, Distribution],
    *,
    batch_sizes: Sequence[int],
    schedules: Sequence[str],
    warmup: Float,
    lr_scaling: str,
    base_batch_size: int,
    source: str,
) -> Preset:
    params: dict[str, Distribution] = {("lr" if lr_scaling == "none" else "base_lr"): lr}
    params.update(specific)
    params["batch_size"] = Categorical(list(batch_sizes))
    params["warmup_ratio"] = warmup
    params["schedule"] = Categorical(list(schedules))
    conditions: dict[str, tuple[str, tuple[ParamValue, ...]]] = {}
    if "cosine" in schedules:
        params["cosine_min_lr_ratio"] = Float(0.0, 0.1)
        conditions["cosine_min_lr_ratio"] = ("schedule", ("cosine",))
    if "step" in schedules:
        params["step_gamma"] = Float(0.1, 0.5)
        conditions["step_gamma"] = ("schedule", ("step",))
    return Preset(
        name,
        params,
        conditions=conditions,
        lr_scaling=lr_scaling,
        base_batch_size=base_batch_size,
        source=source,
    )


_SCHEDULES = ("cosine", "linear", "step", "constant")


def sgd_momentum(*, lr_scaling: str = "linear", base_batch_size: int = 256) -> Preset:
    """SGD with momentum, for convolutional networks trained from scratch.

    ``lr`` 1e-3 to 1 (log): He et al. 2016 (ResNet) use 0.1 at batch 256, Goyal et al. 2017 scale
    it linearly with the batch size (the default coupling here). ``momentum`` 0.8 to 0.99 (0.9 is
    the standard; Sutskever et al. 2013) and ``nesterov``. ``weight_decay`` 1e-6 to 1e-2 (log):
    1e-4 (ResNet) to 5e-4 (CIFAR wide ResNets, Zagoruyko & Komodakis 2016). Batch 32 to 512.
    """
    return _build(
        "sgd_momentum",
        Float(1e-3, 1.0, log=True),
        {
            "momentum": Float(0.8, 0.99),
            "nesterov": Categorical([False, True]),
            "weight_decay": Float(1e-6, 1e-2, log=True),
        },
        batch_sizes=(32, 64, 128, 256, 512),
        schedules=_SCHEDULES,
        warmup=Float(0.0, 0.1),
        lr_scaling=lr_scaling,
        base_batch_size=base_batch_size,
        source="He et al. 2016; Goyal et al. 2017; Sutskever et al. 2013",
    )


def adam(*, lr_scaling: str = "sqrt", base_batch_size: int = 64) -> Preset:
    """Adam with L2 regularization (coupled weight decay).

    ``lr`` 1e-5 to 1e-2 (log) around the 1e-3 of Kingma & Ba 2015; ``beta2`` 0.99 or 0.999 (the
    paper's default, lower for noisy or long runs); ``weight_decay`` 1e-6 to 1e-3 (log): coupled
    L2 must stay small, since Adam rescales it (Loshchilov & Hutter 2019). Square-root batch
    coupling (Malladi et al. 2022, "On the SDEs and scaling rules for adaptive gradient
    algorithms"). Batch 16 to 256.
    """
    return _build(
        "adam",
        Float(1e-5, 1e-2, log=True),
        {
            "beta2": Categorical([0.99, 0.999]),
            "weight_decay": Float(1e-6, 1e-3, log=True),
        },
        batch_sizes=(16, 32, 64, 128, 256),
        schedules=_SCHEDULES,
        warmup=Float(0.0, 0.1),
        lr_scaling=lr_scaling,
        base_batch_size=base_batch_size,
        source="Kingma & Ba 2015; Loshchilov & Hutter 2019; Malladi et al. 2022",
    )


def adamw(*, lr_scaling: str = "sqrt", base_batch_size: int = 64) -> Preset:
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    ``lr`` 1e-5 to 1e-2 (log); ``weight_decay`` 1e-4 to 0.3 (log): 0.01 in BERT, 0.05 in DeiT,
    0.1 in GPT-3, up to 0.3 in ViT. ``beta2`` 0.95 (GPT-3), 0.98 (RoBERTa) or 0.999 (the default).
    Square-root batch coupling (Malladi et al. 2022). Batch 16 to 256.
    """
    return _build(
        "adamw",
        Float(1e-5, 1e-2, log=True),
        {
            "beta2": Categorical([0.95, 0.98, 0.999]),
            "weight_decay": Float(1e-4, 0.3, log=True),
        },
        batch_sizes=(16, 32, 64, 128, 256),
        schedules=_SCHEDULES,
        warmup=Float(0.0, 0.1),
        lr_scaling=lr_scaling,
        base_batch_size=base_batch_size,
        source="Loshchilov & Hutter 2019; Devlin et al. 2019; Brown et al. 2020; Dosovitskiy "
        "et al. 2021",
    )


def rmsprop(*, lr_scaling: str = "sqrt", base_batch_size: int = 64) -> Preset:
    """RMSprop, as used for reinforcement learning and mobile image models.

    ``lr`` 1e-5 to 1e-2 (log) around the 1e-3 of Hinton's lecture 6e; ``alpha`` (squared-gradient
    decay) 0.9 to 0.99 (0.9 in the lecture and EfficientNet, 0.99 in PyTorch); ``momentum`` 0 to 0.9
    (0.9 in Inception and EfficientNet); ``eps`` 1e-8 to 1 (log: Inception and EfficientNet use
    1.0 or 1e-3, which damps the step); ``weight_decay`` 1e-6 to 1e-3 (log; 1e-5 in EfficientNet).
    """
    return _build(
        "rmsprop",
        Float(1e-5, 1e-2, log=True),
        {
            "alpha": Float(0.9, 0.99),
            "momentum": Float(0.0, 0.9),
            "eps": Float(1e-8, 1.0, log=True),
            "weight_decay": Float(1e-6, 1e-3, log=True),
        },
        batch_sizes=(16, 32, 64, 128, 256),
        schedules=_SCHEDULES,
        warmup=Float(0.0, 0.1),
        lr_scaling=lr_scaling,
        base_batch_size=base_batch_size,
        source="Hinton, Coursera lecture 6e; Szegedy et al. 2016; Tan & Le 2019",
    )


def transformer_finetune(*, lr_scaling: str = "none", base_batch_size: int = 32) -> Preset:
    """Fine-tuning a pretrained transformer with AdamW.

    ``lr`` 1e-6 to 1e-4 (log) around the 2e-5 to 5e-5 grid of BERT (Devlin et al. 2019) and the
    1e-5 to 3e-5 of RoBERTa (Liu et al. 2019); ``weight_decay`` 1e-4 to 0.1 (log; 0.01 in both);
    ``warmup_ratio`` 0 to 0.2 (BERT 10%, RoBERTa 6%); ``num_epochs`` 2 to 5 (BERT: 2, 3 or 4);
    batch 8 to 64 (BERT: 16 or 32); linear decay (BERT's schedule), cosine or constant; no batch
    coupling by default (few batch sizes, and fine-tuning is short).
    """
    return _build(
        "transformer_finetune",
        Float(1e-6, 1e-4, log=True),
        {"weight_decay": Float(1e-4, 0.1, log=True), "num_epochs": Int(2, 5)},
        batch_sizes=(8, 16, 32, 64),
        schedules=("linear", "cosine", "constant"),
        warmup=Float(0.0, 0.2),
        lr_scaling=lr_scaling,
        base_batch_size=base_batch_size,
        source="Devlin et al. 2019; Liu et al. 2019; Hugging Face Trainer defaults",
    )
