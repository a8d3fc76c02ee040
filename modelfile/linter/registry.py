"""Every rule, by code.  A new rule is a module in ``rules/`` and a line here."""

from __future__ import annotations

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
    InvalidPragma,
)

BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in RULES}
BY_NAME: dict[str, type[Rule]] = {rule.name: rule for rule in RULES}

assert len(BY_CODE) == len(RULES), "two rules share a code"


def find_rule(key: str) -> type[Rule] | None:
    """A rule by code (``MF201``) or name (``unknown-parameter``)."""
    return BY_CODE.get(key.upper()) or BY_NAME.get(key.lower())
