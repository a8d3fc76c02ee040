"""``[tool.mfc.lint]`` in ``pyproject.toml``: which rules run and how severe they are.

```toml
[tool.mfc.lint]
select = ["MF"]            # codes, prefixes or rule names; "ALL" adds the rules off by default
extend-select = ["MF506"]  # added to select
ignore = ["MF105"]
severity = { MF103 = "error" }
```

The file is looked up from the linted Modelfile's folder upwards.  A code or name that
matches no rule is ``invalid-config`` naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from modelfile.errors import MfcError
from modelfile.linter.diagnostic import Severity
from modelfile.linter.registry import BY_CODE, UnknownRuleError, resolve_selectors


class ConfigError(MfcError):
    """``[tool.mfc.lint]`` is malformed; the message names the file and the key."""

    code = "invalid-config"
    exit_code = 2


@dataclass(frozen=True)
class LintConfig:
    select: tuple[str, ...] = ()  # empty: every rule that is on by default
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    source: str | None = None  # the pyproject.toml it came from

    def enabled(self, code: str, default: bool) -> bool:
        if _matches(code, self.ignore, exact_only=False):
            return False
        chosen = _matches(code, self.select, exact_only=not default) if self.select else default
        return chosen or _matches(code, self.extend_select, exact_only=not default)

    def merged(self, select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()) -> LintConfig:
        """This configuration with command-line ``--select``/``--ignore`` on top: codes,
        prefixes or rule names; one that names no rule raises ``UnknownRuleError``.

        >>> LintConfig().merged(select=("empty-stop",)).enabled("MF208", True)
        True
        """
        chosen = resolve_selectors(select, where="select")
        left_out = resolve_selectors(ignore, where="ignore")
        return LintConfig(chosen or self.select, self.extend_select, self.ignore + left_out, self.severity, self.source)


def _matches(code: str, selectors: tuple[str, ...], *, exact_only: bool) -> bool:
    for selector in selectors:
        if selector == "ALL" or selector == code or (not exact_only and code.startswith(selector)):
            return True
    return False


def find_config(start: Path) -> LintConfig:
    """The configuration of the nearest ``pyproject.toml`` with a ``[tool.mfc]`` table."""
    return _find(start.resolve())


@lru_cache(maxsize=64)
def _find(folder: Path) -> LintConfig:
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as error:
                raise ConfigError(f"{path}: cannot read: {error}") from None
            table = data.get("tool", {}).get("mfc")
            if table is not None:
                return parse_config(table.get("lint", {}), str(path))
    return LintConfig()


def parse_config(table: dict[str, Any], where: str = "[tool.mfc.lint]") -> LintConfig:
    def codes(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: [tool.mfc.lint] {key} must be a list of rule codes")
        return _resolved(value, f"{where}: [tool.mfc.lint] {key}")

    known = {"select", "extend-select", "ignore", "severity"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) in [tool.mfc.lint]: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    severity: dict[str, Severity] = {}
    for key, level in dict(table.get("severity", {})).items():
        (code,) = _resolved([key], f"{where}: [tool.mfc.lint] severity")
        if code not in BY_CODE:
            raise ConfigError(f"{where}: [tool.mfc.lint] severity: {key!r} is not one rule's code or name")
        try:
            severity[code] = Severity(level)
        except ValueError:
            raise ConfigError(f"{where}: severity of {key} must be error, warning or info, not {level!r}") from None
    return LintConfig(codes("select"), codes("extend-select"), codes("ignore"), severity, where)


def _resolved(keys: list[str], where: str) -> tuple[str, ...]:
    """Selectors from the file as codes; one that names no rule is ``invalid-config``."""
    try:
        return resolve_selectors(keys, where=where)
    except UnknownRuleError as error:
        raise ConfigError(str(error)) from None
