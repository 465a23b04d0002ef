"""Workflow parameters on the client side: the editable YAML a start form shows,
validation against the declared specs before anything is sent, and the equivalent
`cfy executions start` command.

Validation mirrors the manager's rules (`reference/cloudify-rest-api.md` 7.3;
`Execution.merge_workflow_parameters` and `_convert_param_type` in the rest-service's
`manager_rest/storage/resource_models.py`, Cloudify 7.0.4):

- the manager evaluates intrinsic functions (`{get_secret: key}`, `concat`, ...)
  inside list and dict values before it converts types, so a function call passes
  the type and constraint checks here whatever the declared type;
- `dict` and undeclared types are not type-checked;
- a parameter given as `null` is given: it is never "missing".

It is stricter where the manager would crash (a number for a boolean is a 500 there,
a problem here) or silently change the value (`2.5` or `true` for an integer, `true`
for a float, a string for a list, which the manager splits into its characters).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

import yaml

from tui.api.models import ParameterSpec, Workflow


@dataclass(frozen=True)
class ParameterProblems(Exception):
    """Everything wrong with a parameters document, one message per problem."""

    problems: tuple[str, ...]

    def __str__(self) -> str:
        return "\n".join(self.problems)


def _yaml_value(value: Any) -> str:
    try:
        dumped = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1000)
    except RecursionError:  # a default nested deeper than the YAML emitter goes
        try:
            return json.dumps(value)  # JSON is YAML too
        except (RecursionError, ValueError):
            return "null  # the default is nested too deeply to show"
    return dumped.strip().removesuffix("...").strip()


def _comment(text: str) -> str:
    """Server text in a YAML comment: one line, nothing a terminal would act on (the
    values themselves are escaped by the YAML emitter)."""
    return "".join(ch if ch.isprintable() else " " for ch in text[:2000])


def _yaml_key(name: str) -> str:
    """A mapping key on one line: a key may not span lines, so a name with a line
    break is written double-quoted, where breaks are escapes."""
    key = _yaml_value(name)
    if any(ch in key for ch in "\n\r\x85\u2028\u2029"):
        key = yaml.safe_dump(name, default_style='"', width=2**30).strip()
    return key


def defaults_document(workflow: Workflow, values: dict[str, Any] | None = None) -> str:
    """The YAML a start form opens with: every declared parameter, its default (or the
    given value), and a comment with its type, whether it is mandatory and its
    description."""
    values = values or {}
    if not workflow.parameters and not values:
        return "# This workflow declares no parameters.\n"
    lines = []
    for spec in workflow.parameters:
        kind = spec.type or "any"
        if spec.item_type:
            kind += f" of {spec.item_type}"
        note = kind + (", mandatory" if spec.mandatory else "")
        if spec.description:
            note += f": {' '.join(spec.description.split())}"
        lines.append(f"# {' '.join(_comment(note).split())}")
        key = _yaml_key(spec.name)
        if spec.name in values:
            lines.append(f"{key}: {_yaml_value(values[spec.name])}")
        elif spec.has_default:
            lines.append(f"{key}: {_yaml_value(spec.default)}")
        else:
            lines.append(f"{key}:   # required: fill in")
    declared = {s.name for s in workflow.parameters}
    extra = {k: v for k, v in values.items() if k not in declared}
    if extra:
        lines.append("# not declared by the workflow (needs custom parameters allowed)")
        lines += [f"{_yaml_key(k)}: {_yaml_value(v)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


class _Loader(yaml.SafeLoader):
    """`safe_load`, except that timestamps stay text: parameters travel as JSON, which
    has no dates (`when: 2024-01-01` is the string the user typed); and a value that
    its explicit tag cannot read (`n: !!int x`, `b: !!bool x`) is an error at its line,
    where PyYAML raises ValueError, KeyError or AttributeError from its constructors."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, AttributeError, TypeError) as exc:
            tag = node.tag.rpartition(":")[2] or node.tag
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} cannot be read as !!{tag}", node.start_mark
            ) from exc


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_document(text: str) -> dict[str, Any]:
    """The YAML as a mapping, or ParameterProblems with the line of a syntax error.
    Values come back as JSON would carry them (nested keys become strings)."""
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader
    except RecursionError:
        raise ParameterProblems(("YAML nested too deeply to read",)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML refuses
            before = text[: exc.position]
            line, column = before.count("\n") + 1, exc.position - before.rfind("\n")
            where = f" at line {line}, column {column}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParameterProblems((f"YAML syntax error{where}: {problem}",)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterProblems(
            (f"Parameters must be a YAML mapping of name: value, not a {type(data).__name__}",)
        )
    values: dict[str, Any] = {}
    problems = []
    for key, value in data.items():
        try:
            values[str(key)] = json.loads(json.dumps(value))
        except (TypeError, ValueError, RecursionError):
            problems.append(
                f'Parameter "{key}" has a value JSON cannot carry ({type(value).__name__}); '
                "quote it to send text"
            )
    if problems:
        raise ParameterProblems(tuple(problems))
    return values


# The functions dsl_parser registers (`@register(name=...)` in `dsl_parser/functions.py`,
# cloudify-common 7.0.4; plugins may add more through the `cloudify.tosca.ext.functions`
# entry point, which a client cannot see).
INTRINSIC_FUNCTIONS = frozenset(
    {
        "concat",
        "get_attribute",
        "get_attributes_dict",
        "get_attributes_list",
        "get_capability",
        "get_consumers",
        "get_environment_capability",
        "get_group_capability",
        "get_input",
        "get_label",
        "get_property",
        "get_secret",
        "get_sys",
        "merge",
        "string_find",
        "string_lower",
        "string_replace",
        "string_split",
        "string_upper",
    }
)


def intrinsic_function(value: Any) -> str | None:
    """The function a value calls, or None: what `dsl_parser.utils.get_function` sees
    as a call, a mapping of one function name to its arguments, optionally with a
    `type` key beside it."""
    if not isinstance(value, dict) or not 0 < len(value) < 3:
        return None
    found = None
    for key in value:
        if key == "type":
            continue
        if key not in INTRINSIC_FUNCTIONS:
            return None
        found = key
    return found


def intrinsic_functions_in(value: Any) -> tuple[str, ...]:
    """Every function called anywhere inside a value (calls nested in lists, dicts and
    other calls' arguments are evaluated too), each name once, in document order."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = intrinsic_function(item)
            if name is not None and name not in found:
                found.append(name)
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return tuple(found)


def evaluated_by_manager(workflow: Workflow, values: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The parameters the manager will evaluate before checking them, each with the
    functions it calls: given values (declared or not) and the defaults the manager
    fills in for declared parameters left out. Only list and dict values are evaluated
    (`evaluate_workflow_parameters`), and a function call is always a dict."""
    merged = {
        spec.name: spec.default
        for spec in workflow.parameters
        if spec.name not in values and spec.has_default
    }
    merged.update(values)
    order = [spec.name for spec in workflow.parameters] + list(values)
    result: dict[str, tuple[str, ...]] = {}
    for name in order:
        if name in merged and name not in result:
            functions = intrinsic_functions_in(merged[name])
            if functions:
                result[name] = functions
    return result


def _type_problem(spec: ParameterSpec, value: Any) -> str | None:
    kind = spec.type
    name = spec.name
    if intrinsic_function(value) is not None:
        return None  # the manager converts what the function returns
    if kind == "integer":
        if isinstance(value, bool) or value is None:
            return f'Parameter "{name}" must be of type integer'
        if isinstance(value, int):
            return None
        if isinstance(value, float) and value.is_integer():
            return None
        if isinstance(value, str):
            try:  # what the manager does; not isdigit(), which "²" and "--5" pass
                int(value)
            except ValueError:
                return f'Parameter "{name}" must be of type integer'
            return None
        return f'Parameter "{name}" must be of type integer'
    if kind == "float":
        if isinstance(value, bool):
            return f'Parameter "{name}" must be of type float'
        try:
            float(value)
        except (TypeError, ValueError):
            return f'Parameter "{name}" must be of type float'
        return None
    if kind == "boolean":
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return None
        return f'Parameter "{name}" must be of type boolean'
    if kind == "string" and not isinstance(value, str):
        return f'Parameter "{name}" must be of type string'
    if kind == "list":
        if not isinstance(value, list):
            suffix = f"list of {spec.item_type}s" if spec.item_type else "list"
            return f'Parameter "{name}" must be of type {suffix}'
        if spec.item_type in ("integer", "float", "boolean", "string"):
            item = ParameterSpec(name=name, type=spec.item_type)
            if any(_type_problem(item, v) for v in value):  # a call passes, as above
                return f'Parameter "{name}" must be of type list of {spec.item_type}s'
    # `dict` is not checked: `_convert_param_type` passes any value through.
    return None


def _converted(kind: str | None, value: Any) -> Any:
    """The value as `_convert_param_type` stores it (for a value that passed
    `_type_problem`): constraints are checked against that."""
    if kind == "integer":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    return value


def _constraint_problem(spec: ParameterSpec, value: Any) -> str | None:
    # What a function returns is checked by the manager, after evaluating it.
    if spec.type == "list" and spec.item_type and isinstance(value, list):
        # `validate_input_value` checks each item of a typed list, not the list.
        items = [_converted(spec.item_type, v) for v in value if not intrinsic_functions_in(v)]
    elif intrinsic_functions_in(value):
        return None
    else:
        items = [_converted(spec.type, value)]
    for constraint in spec.constraints:
        if not isinstance(constraint, dict):
            continue
        allowed = constraint.get("valid_values")
        if isinstance(allowed, list) and any(item not in allowed for item in items):
            shown = ", ".join(str(v) for v in allowed)
            return f'Parameter "{spec.name}" must be one of: {shown}'
    return None


def validate(
    workflow: Workflow, values: dict[str, Any], *, allow_custom: bool = False
) -> dict[str, Any]:
    """The parameters to send; ParameterProblems lists everything wrong at once."""
    declared = {spec.name: spec for spec in workflow.parameters}
    problems: list[str] = []
    unknown = [k for k in values if k not in declared]
    if unknown and not allow_custom:
        problems.append(
            f'Workflow "{workflow.name}" does not have the following parameters declared: '
            f"{', '.join(unknown)}. Remove them or allow custom parameters."
        )
    for name, spec in declared.items():
        if name not in values:
            continue
        problem = _type_problem(spec, values[name]) or _constraint_problem(spec, values[name])
        if problem:
            problems.append(problem)
    # Given as null is given (the manager checks the keys, not the values).
    missing = [name for name, spec in declared.items() if spec.mandatory and name not in values]
    if missing:
        problems.append(
            f'Workflow "{workflow.name}" must be provided with the following parameters: '
            f"{', '.join(missing)}"
        )
    if problems:
        raise ParameterProblems(tuple(problems))
    return values


def changed_parameters(workflow: Workflow, values: dict[str, Any]) -> dict[str, Any]:
    """Only the values that differ from the declared defaults (what a command needs)."""
    declared = {spec.name: spec for spec in workflow.parameters}
    result = {}
    for name, value in values.items():
        spec = declared.get(name)
        if spec is None or not spec.has_default or spec.default != value:
            result[name] = value
    return result


def equivalent_command(
    deployment_id: str,
    workflow_id: str,
    parameters: dict[str, Any],
    *,
    force: bool = False,
    dry_run: bool = False,
    queue: bool = False,
    allow_custom: bool = False,
    tenant: str | None = None,
) -> str:
    """The `cfy executions start ...` command that does the same. It never carries
    credentials."""
    parts = ["cfy", "executions", "start", workflow_id, "-d", deployment_id]
    if parameters:
        parts += ["-p", json.dumps(parameters, sort_keys=True, separators=(",", ":"))]
    if allow_custom:
        parts.append("--allow-custom-parameters")
    if force:
        parts.append("--force")
    if dry_run:
        parts.append("--dry-run")
    if queue:
        parts.append("--queue")
    if tenant:
        parts += ["-t", tenant]
    return " ".join(shlex.quote(part) for part in parts)
