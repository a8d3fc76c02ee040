"""Run the rules over one Modelfile: parse (recovering after syntax errors where a
line can be skipped), check, apply pragmas and configuration, sort."""

from __future__ import annotations

import dataclasses
import os

from modelfile.errors import ModelfileError, NotTextError
from modelfile.files import check_text, read_text_file
from modelfile.ir import Modelfile
from modelfile.linter.config import LintConfig, find_config
from modelfile.linter.diagnostic import Diagnostic
from modelfile.linter.pragmas import read_pragmas
from modelfile.linter.registry import BY_CODE, RULES
from modelfile.linter.rule import LintContext, base_dir_of
from modelfile.parser import parse_recovering
from modelfile.source import Source

LintTarget = Modelfile | str | os.PathLike[str]


def lint(
    target: LintTarget,
    *,
    config: LintConfig | None = None,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> list[Diagnostic]:
    """Lint a parsed ``Modelfile`` or the Modelfile at a path.

    Configuration comes from ``config``, else from the nearest ``pyproject.toml``;
    ``select``/``ignore`` are added on top, as on the command line.
    """
    if isinstance(target, Modelfile):
        path = target.path
        modelfile: Modelfile | None = target
        source = target.source or Source("", path)
        errors: list[ModelfileError] = []
    else:
        path = os.fspath(target)
        try:
            data = read_text_file(path)
        except NotTextError as error:
            return _run(None, [error], Source("", path), path, config, select, ignore)
        except OSError as error:
            failure = ModelfileError(f"cannot read Modelfile: {error.strerror or error}", code="MF000", path=path)
            return [_from_error(failure)]
        return lint_bytes(data, path=path, config=config, select=select, ignore=ignore)
    return _run(modelfile, errors, source, path, config, select, ignore)


def lint_bytes(
    data: bytes,
    *,
    path: str | None = None,
    config: LintConfig | None = None,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> list[Diagnostic]:
    """Lint Modelfile content; ``path`` (if any) places it for relative paths and config.
    Content that is not text (``check_text``) is one MF000 diagnostic, found at once."""
    return lint_parsed(data, path=path, config=config, select=select, ignore=ignore)[0]


def lint_parsed(
    data: bytes,
    *,
    path: str | None = None,
    config: LintConfig | None = None,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> tuple[list[Diagnostic], Modelfile | None]:
    """``lint_bytes``, and the parse it linted (``parse_recovering``'s: None when a
    syntax error stopped it), for callers that need both without parsing twice (the
    language server, on every keystroke).

    >>> found, parsed = lint_parsed(b"FROM llama3.2\\nPARAMETER temprature 0.7\\n")
    >>> [d.code for d in found], len(parsed)
    (['MF201'], 2)
    """
    try:
        check_text(data, path=path)
    except NotTextError as error:
        return _run(None, [error], Source("", path), path, config, select, ignore), None
    modelfile, errors, source = parse_recovering(data, path=path)
    return _run(modelfile, errors, source, path, config, select, ignore), modelfile


def _run(
    modelfile: Modelfile | None,
    errors: list[ModelfileError],
    source: Source,
    path: str | None,
    config: LintConfig | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
) -> list[Diagnostic]:
    base = base_dir_of(path)
    settings = (config if config is not None else find_config(base)).merged(select, ignore)
    found = [_from_error(error) for error in errors]
    if modelfile is not None:
        ctx = LintContext(modelfile, source, base)
        for rule in RULES:
            if settings.enabled(rule.code, rule.default):
                found.extend(rule().check(ctx))
        suppressions, bad = read_pragmas(modelfile, BY_CODE)
        found = [d for d in found if not any(s.covers(d) for s in suppressions)]
        pragma = BY_CODE["MF901"]
        found += [
            Diagnostic(
                path,
                b.line,
                b.column,
                b.line,
                b.column + 1,
                pragma.code,
                pragma.name,
                pragma.severity,
                b.message,
                source_line=source.line_text(b.line),
            )
            for b in bad
        ]
    kept = [d for d in found if settings.enabled(d.code, True)]
    kept = [
        dataclasses.replace(d, severity=settings.severity[d.code]) if d.code in settings.severity else d for d in kept
    ]
    return sorted(kept, key=lambda d: (d.line, d.column, d.code))


def _from_error(error: ModelfileError) -> Diagnostic:
    rule = BY_CODE.get(error.code)
    return Diagnostic(
        path=error.path,
        line=error.line,
        column=error.column,
        end_line=error.line,
        end_column=error.end_column or error.column + 1,
        code=error.code,
        name=rule.name if rule else "syntax-error",
        severity=rule.severity if rule else BY_CODE["MF001"].severity,
        message=error.message,
        hint=error.hint,
        source_line=error.source_line,
    )
