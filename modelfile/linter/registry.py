"""Every rule, by code.  A new rule is a module in ``rules/`` and a line here."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from modelfile.errors import MfcError
from modelfile.linter.rule import Rule
from modelfile.linter.rules import syntax
from modelfile.linter.rules.mf101_several_from import SeveralFrom
from modelfile.linter.rules.mf102_empty_from import EmptyFrom
from modelfile.linter.rules.mf103_from_path_missing import FromPathMissing
from modelfile.linter.rules.mf104_from_not_model import FromNotModel
from modelfile.linter.rules.mf105_ambiguous_from import AmbiguousFrom
from modelfile.linter.rules.mf106_placeholder import Placeholder
from modelfile.linter.rules.mf107_adapter_missing import AdapterMissing
from modelfile.linter.rules.mf108_adapter_not_model import AdapterNotModel
from modelfile.linter.rules.mf109_several_adapters import SeveralAdapters
from modelfile.linter.rules.mf110_license_missing import LicenseMissing
from modelfile.linter.rules.mf111_draft_missing import DraftMissing
from modelfile.linter.rules.mf112_draft_same_as_from import DraftSameAsFrom
from modelfile.linter.rules.mf113_adapter_cannot_apply import AdapterCannotApply
from modelfile.linter.rules.mf201_unknown_parameter import UnknownParameter
from modelfile.linter.rules.mf202_invalid_parameter_value import InvalidParameterValue
from modelfile.linter.rules.mf203_parameter_out_of_range import ParameterOutOfRange
from modelfile.linter.rules.mf204_deprecated_parameter import DeprecatedParameter
from modelfile.linter.rules.mf205_parameter_needs_another import ParameterNeedsAnother
from modelfile.linter.rules.mf206_duplicate_parameter import DuplicateParameter
from modelfile.linter.rules.mf207_num_ctx_too_large import NumCtxTooLarge
from modelfile.linter.rules.mf208_empty_stop import EmptyStop
from modelfile.linter.rules.mf301_message_system_with_system import MessageSystemWithSystem
from modelfile.linter.rules.mf302_empty_prompt import EmptyPrompt
from modelfile.linter.rules.mf303_duplicate_instruction import DuplicateInstruction
from modelfile.linter.rules.mf304_escape_sequence import EscapeSequence
from modelfile.linter.rules.mf305_requires_not_semver import RequiresNotSemver
from modelfile.linter.rules.mf401_template_syntax import TemplateSyntax
from modelfile.linter.rules.mf402_untranslatable_template import UntranslatableTemplate
from modelfile.linter.rules.mf403_unknown_template_field import UnknownTemplateField
from modelfile.linter.rules.mf404_template_ignores_conversation import TemplateIgnoresConversation
from modelfile.linter.rules.mf405_missing_stop import MissingStop
from modelfile.linter.rules.mf501_text_after_closing_quote import TextAfterClosingQuote
from modelfile.linter.rules.mf502_trailing_comment import TrailingComment
from modelfile.linter.rules.mf503_invisible_character import InvisibleCharacter
from modelfile.linter.rules.mf504_multiline_double_quote import MultilineDoubleQuote
from modelfile.linter.rules.mf505_carriage_return import CarriageReturnInValue
from modelfile.linter.rules.mf506_lowercase_instruction import LowercaseInstruction
from modelfile.linter.rules.mf507_replacement_character import ReplacementCharacter
from modelfile.linter.rules.mf508_stops_on_one_line import StopsOnOneLine
from modelfile.linter.rules.mf509_single_quoted_value import SingleQuotedValue
from modelfile.linter.rules.mf901_invalid_pragma import InvalidPragma

RULES: tuple[type[Rule], ...] = (
    syntax.UnreadableFile,
    syntax.UnknownInstruction,
    syntax.InvalidMessageRole,
    syntax.InvalidParameterName,
    syntax.MissingValue,
    syntax.UnterminatedQuote,
    syntax.MissingFrom,
    syntax.InstructionWithoutSpace,
    SeveralFrom,
    EmptyFrom,
    FromPathMissing,
    FromNotModel,
    AmbiguousFrom,
    Placeholder,
    AdapterMissing,
    AdapterNotModel,
    SeveralAdapters,
    LicenseMissing,
    DraftMissing,
    DraftSameAsFrom,
    AdapterCannotApply,
    UnknownParameter,
    InvalidParameterValue,
    ParameterOutOfRange,
    DeprecatedParameter,
    ParameterNeedsAnother,
    DuplicateParameter,
    NumCtxTooLarge,
    EmptyStop,
    MessageSystemWithSystem,
    EmptyPrompt,
    DuplicateInstruction,
    EscapeSequence,
    RequiresNotSemver,
    TemplateSyntax,
    UntranslatableTemplate,
    UnknownTemplateField,
    TemplateIgnoresConversation,
    MissingStop,
    TextAfterClosingQuote,
    TrailingComment,
    InvisibleCharacter,
    MultilineDoubleQuote,
    CarriageReturnInValue,
    LowercaseInstruction,
    ReplacementCharacter,
    StopsOnOneLine,
    SingleQuotedValue,
    InvalidPragma,
)

BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in RULES}
BY_NAME: dict[str, type[Rule]] = {rule.name: rule for rule in RULES}

assert len(BY_CODE) == len(RULES), "two rules share a code"


def find_rule(key: str) -> type[Rule] | None:
    """A rule by code (``MF201``) or name (``unknown-parameter``)."""
    return BY_CODE.get(key.upper()) or BY_NAME.get(key.lower())


class UnknownRuleError(MfcError):
    """A rule selector (``--select``, ``--ignore``) names no rule mfc has."""

    code = "unknown-rule"
    exit_code = 2


def suggest_rule(key: str) -> str | None:
    """The rule code or name closest to a misspelt ``key``, if any is close."""
    candidates = [*BY_CODE, *BY_NAME]
    close = difflib.get_close_matches(
        key.upper() if key[:2].upper() == "MF" else key.lower(), candidates, n=1, cutoff=0.5
    )
    return close[0] if close else None


def resolve_selector(key: str) -> str | None:
    """The code or code prefix a selector stands for, or ``None`` if it names no rule.

    A selector is ``ALL``, a code (``MF201``), a prefix of codes (``MF2``, ``MF``) or a
    rule name (``unknown-parameter``), in any case.

    >>> resolve_selector("unknown-parameter"), resolve_selector("mf2"), resolve_selector("MF9999")
    ('MF201', 'MF2', None)
    """
    stripped = key.strip()
    if stripped.upper() == "ALL":
        return "ALL"
    rule = BY_NAME.get(stripped.lower())
    if rule is not None:
        return rule.code
    upper = stripped.upper()
    if upper and any(code.startswith(upper) for code in BY_CODE):
        return upper
    return None


def resolve_selectors(keys: Iterable[str], *, where: str = "select") -> tuple[str, ...]:
    """Selectors as codes and prefixes; comma-separated lists are split.  ``where`` names
    the option or key they came from, for the error an unknown one raises.

    >>> resolve_selectors(["MF201,empty-stop"])
    ('MF201', 'MF208')
    >>> resolve_selectors(["MF9999"], where="--select")
    Traceback (most recent call last):
    ...
    modelfile.linter.registry.UnknownRuleError: --select: no rule 'MF9999' (did you mean MF901?)
    """
    resolved: list[str] = []
    for key in (part.strip() for item in keys for part in item.split(",")):
        if not key:
            continue
        code = resolve_selector(key)
        if code is None:
            guess = suggest_rule(key)
            hint = f"did you mean {guess}?" if guess else "`mfc rule` lists every code and name"
            raise UnknownRuleError(f"{where}: no rule {key!r} ({hint})")
        resolved.append(code)
    return tuple(resolved)
