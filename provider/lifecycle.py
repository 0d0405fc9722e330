"""The lifecycle all providers here share, so each provider only states its rules and outputs.

- Inputs are a pydantic model: `check` validates them (numbers arrive as floats; the model casts
  them) and returns them normalised, so state always holds clean values.
- Rules that need the previous inputs (add-only properties, drain before removal, counters that
  only go up) run in `check` as well: bad input fails at preview, never half-way through `up`.
- Derived inputs (a TrafficSplit's `planned_steps`): `check` adds what `derive` computes from the
  previous inputs and the new ones, so a preview's diff shows it. While the fields it is made of
  (`derived_from`) are unknown, so is it.
- Preview: while any input is unknown, `check` validates the known fields one by one and defers
  the rest (the engine calls `check` again with known values before `create`/`update`), and
  `diff` answers "changes", never "no change".
- State lives only in Pulumi: `read` returns the recorded outputs, `delete` has nothing to remove.

Providers are module-level classes without attributes, pickled by reference (under 100 bytes):
the provider process imports this package from the project's virtualenv; no client, socket or
setting is captured (none is needed, so `configure` is not overridden).

`serialize_as_secret_always = False`, on purpose: the pickle is a bare class reference with no
data, so encrypting it would hide nothing, while a plain `__provider` keeps state and
`pulumi stack export` readable. The keys are secret through `additional_secret_outputs`, not
through the provider. Should a provider ever capture a secret `Output`, the SDK still marks the
pickle secret on its own (it checks what serialization captured).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pydantic import BaseModel, TypeAdapter, ValidationError

from provider.problems import Problem, problems_from_validation_error
from provider.unknowns import contains_unknown, unknown_value

__all__ = ["InputsProvider"]

InputsT = TypeVar("InputsT", bound=BaseModel)


def _failures(problems: list[Problem]) -> list[CheckFailure]:
    return [CheckFailure(problem.property, problem.reason) for problem in problems]


class InputsProvider(ResourceProvider, Generic[InputsT]):
    """A dynamic provider whose inputs are the pydantic model `inputs_model`.

    Subclasses set `inputs_model` and `outputs`, and override `input_problems` (cross-field rules),
    `transition_problems` (rules against the previous inputs) and `changed` as needed.
    """

    serialize_as_secret_always = False
    inputs_model: ClassVar[type[BaseModel]]
    # Inputs `check` computes and adds (fields of the model, never given), and the inputs they
    # are computed from.
    derived: ClassVar[tuple[str, ...]] = ()
    derived_from: ClassVar[tuple[str, ...]] = ()

    # --- what a provider states

    def input_problems(self, new: InputsT) -> list[Problem]:
        """Rules across fields of the new inputs."""
        return []

    def transition_problems(self, old: InputsT, new: InputsT) -> list[Problem]:
        """Rules that compare the new inputs with the previous ones (not run on create)."""
        return []

    def changed(self, old: InputsT, new: InputsT) -> bool:
        """Whether going from `old` to `new` needs an update."""
        return old != new

    def outputs(
        self, new: InputsT, old: InputsT | None, old_outputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The resource's outputs after create (`old` None, `old_outputs` empty) or update."""
        raise NotImplementedError

    def derive(self, old: InputsT | None, new: InputsT) -> dict[str, Any]:
        """The `derived` inputs from the previous inputs (None on create) and the new ones; `new`
        may hold only the `derived_from` fields (the others unknown in a preview)."""
        return {}

    # --- parsing

    def parse(self, props: Mapping[str, Any]) -> InputsT:
        """Validate `props` (engine-internal `__` keys ignored); raises ValidationError."""
        return self.inputs_model.model_validate(  # type: ignore[return-value]
            {key: value for key, value in props.items() if not key.startswith("__")}
        )

    def parse_recorded(self, props: Mapping[str, Any]) -> InputsT | None:
        """The inputs recorded in previous inputs or outputs (other keys ignored); None if there
        are none, or they no longer pass the model or the cross-field rules."""
        fields = self.inputs_model.model_fields
        recorded = {key: value for key, value in props.items() if key in fields}
        if not recorded or contains_unknown(recorded):
            return None
        try:
            inputs: InputsT = self.inputs_model.model_validate(recorded)  # type: ignore[assignment]
        except ValidationError:
            return None
        return None if self.input_problems(inputs) else inputs

    def known_field_problems(self, props: Mapping[str, Any]) -> list[Problem]:
        """Problems of the fields of `props` that are fully known, each validated on its own: what
        a preview can already reject while other inputs are unknown."""
        fields = self.inputs_model.model_fields
        problems = []
        for name, value in props.items():
            if name.startswith("__") or contains_unknown(value):
                continue
            if name not in fields:
                problems.append(Problem(name, "unknown input; remove it"))
                continue
            field = fields[name]
            try:
                # the field's own type and constraints, as a type object pydantic reads at run time
                declared: Any = Annotated[field.annotation, field]
                TypeAdapter(declared).validate_python(value)
            except ValidationError as error:
                problems += problems_from_validation_error(error, prefix=(name,))
        return problems

    @staticmethod
    def dump(inputs: BaseModel) -> dict[str, Any]:
        return inputs.model_dump(mode="json", exclude_none=True)

    # --- the ResourceProvider protocol

    def derived_while_unknown(self, old: InputsT | None, news: Mapping[str, Any]) -> dict[str, Any]:
        """The derived inputs of a preview's partly unknown `news`: computed when the fields they
        are made of are known and valid, else unknown."""
        if not self.derived:
            return {}
        sources = {key: value for key, value in news.items() if key in self.derived_from}
        if not contains_unknown(sources):
            try:
                new: InputsT = self.inputs_model.model_validate(sources)  # type: ignore[assignment]
            except ValidationError:
                pass  # reported once the other inputs are known
            else:
                if not self.input_problems(new):
                    return self.derive(old, new)
        return {name: unknown_value() for name in self.derived}

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        old = self.parse_recorded(olds)  # the previous inputs; none on create
        if contains_unknown(news):
            failures = _failures(self.known_field_problems(news))
            derived = self.derived_while_unknown(old, news) if not failures else {}
            return CheckResult({**news, **derived}, failures)
        try:
            new = self.parse(news)
        except ValidationError as error:
            return CheckResult(dict(news), _failures(problems_from_validation_error(error)))
        problems = self.input_problems(new)
        if old is not None:
            problems += self.transition_problems(old, new)
        if problems:
            return CheckResult(dict(news), _failures(problems))
        return CheckResult({**self.dump(new), **self.derive(old, new)}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """`olds` are the previous outputs, which repeat the inputs they were made from."""
        if contains_unknown(news):
            return DiffResult(changes=True)
        old, new = self.parse_recorded(olds), self.parse_recorded(news)
        if old is None or new is None:
            return DiffResult(changes=True)  # inputs `check` rejects are never "no change"
        return DiffResult(changes=self.changed(old, new))

    def create(self, props: dict[str, Any]) -> CreateResult:
        new = self.parse(props)
        return CreateResult(uuid.uuid4().hex, self.outputs(new, None, {}))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        new = self.parse(news)
        return UpdateResult(self.outputs(new, self.parse_recorded(olds), olds))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        recorded = {key: value for key, value in props.items() if not key.startswith("__")}
        return ReadResult(id_, recorded)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing outside Pulumi's state to remove."""
