//! Every stable diagnostic code, one constant each. The letter names the family:
//! `E0xxx` syntax, `E1xxx` names, `E2xxx` types, `R0xxx` record errors at run time.
//! Each code has an entry with a wrong and a right example in docs/errors.md.

/// A character that starts no token.
pub const UNEXPECTED_CHARACTER: &str = "E0001";
/// A string without its closing quote.
pub const UNTERMINATED_STRING: &str = "E0002";
/// An unknown escape in a string.
pub const INVALID_ESCAPE: &str = "E0003";
/// A number that is too large or glued to letters.
pub const INVALID_NUMBER: &str = "E0004";
/// A date, instant or time of day that does not exist.
pub const INVALID_DATE: &str = "E0005";
/// A file that is not UTF-8 text.
pub const NOT_UTF8: &str = "E0006";
/// A token where the grammar wants something else.
pub const UNEXPECTED_TOKEN: &str = "E0010";
/// The file ends in the middle of a declaration.
pub const UNEXPECTED_END: &str = "E0011";
/// Expressions or types nested deeper than the parser allows.
pub const NESTING_TOO_DEEP: &str = "E0012";
/// `a = b = c`.
pub const CHAINED_COMPARISON: &str = "E0013";
/// A file with no declarations at all.
pub const EMPTY_FILE: &str = "E0020";
/// A policy file without a `policy` header, or declarations before it.
pub const MISPLACED_HEADER: &str = "E0021";
/// Two `policy` headers, or two `otherwise` blocks.
pub const DUPLICATE_SECTION: &str = "E0022";
/// Rules, `otherwise` or tests in a library file.
pub const RULES_IN_LIBRARY: &str = "E0023";

/// A bare name that is no const, let or field.
pub const UNKNOWN_NAME: &str = "E1001";
/// A type name that is not declared.
pub const UNKNOWN_TYPE: &str = "E1002";
/// A field that the record does not have.
pub const UNKNOWN_FIELD: &str = "E1003";
/// A name that is not a variant of the enum it is compared with.
pub const UNKNOWN_VARIANT: &str = "E1004";
/// A team that is not declared.
pub const UNKNOWN_TEAM: &str = "E1005";
/// A calendar that is not declared.
pub const UNKNOWN_CALENDAR: &str = "E1006";
/// Two declarations of one kind with the same name.
pub const DUPLICATE_NAME: &str = "E1007";
/// `let`s or `const`s that refer to each other in a circle.
pub const CYCLE: &str = "E1008";
/// A const or let named like a subject field or an enum variant.
pub const SHADOWING_NAME: &str = "E1009";
/// A `use` that cannot be loaded, or that loops back.
pub const BAD_USE: &str = "E1010";
/// A function that does not exist.
pub const UNKNOWN_FUNCTION: &str = "E1011";
/// A fixture that is not declared.
pub const UNKNOWN_FIXTURE: &str = "E1012";
/// A rule named in a test that is not declared.
pub const UNKNOWN_RULE: &str = "E1013";

/// A value of one type where another is needed.
pub const TYPE_MISMATCH: &str = "E2001";
/// An operator applied to types it does not take.
pub const BAD_OPERANDS: &str = "E2002";
/// A call with the wrong number or types of arguments.
pub const BAD_ARGUMENTS: &str = "E2003";
/// An optional value used where a present one is needed.
pub const MAYBE_MISSING: &str = "E2010";
/// `is set` on something that can never be missing.
pub const NEVER_MISSING: &str = "E2011";
/// A `matches` pattern that is not a valid regex.
pub const INVALID_REGEX: &str = "E2012";
/// Weights of a weighted team that do not add up to 100%.
pub const WEIGHTS: &str = "E2013";
/// `within` not right after `hand off` or `assign`, or twice.
pub const MISPLACED_WITHIN: &str = "E2014";
/// A const that reads the record or `now`, or fails to evaluate.
pub const NOT_CONSTANT: &str = "E2015";
/// The compiler produced a program its own verifier refuses: a bug in roe.
pub const INTERNAL: &str = "E2016";
/// Two ownership actions in one rule.
pub const CONFLICTING_OWNERSHIP: &str = "E2017";
/// A record literal with a missing or unknown field.
pub const BAD_RECORD_LITERAL: &str = "E2018";
/// An invalid team or calendar clause.
pub const BAD_CLAUSE: &str = "E2019";
/// A business duration with no calendar in reach.
pub const NO_CALENDAR: &str = "E2020";
/// A field's `from`, `format` or `timezone` clause that input cannot be read by.
pub const BAD_FIELD_INPUT: &str = "E2021";
/// An `extend` of a type that is not there, or that changes a field's type.
pub const BAD_EXTENSION: &str = "E2022";

/// Under `first match`, a rule the rules above it leave no record to.
pub const SHADOWED_RULE: &str = "W3001";
/// Two rules can hold for one record and disagree on who owns it.
pub const OVERLAP: &str = "W3002";
/// Some records are decided by no rule and no `otherwise`.
pub const GAP: &str = "W3003";
/// A rule's condition holds for no record.
pub const NEVER_HOLDS: &str = "W3004";
/// A rule's condition holds for every record.
pub const ALWAYS_HOLDS: &str = "W3005";
/// A const, let or team that nothing uses.
pub const UNUSED: &str = "W3006";
/// A hand-off to a team with no members.
pub const NO_MEMBERS: &str = "W3007";
/// An SLO with no escalation or reassignment behind it.
pub const SLO_WITHOUT_ESCALATION: &str = "W3008";
/// The analysis stopped before it could decide a question.
pub const GAVE_UP: &str = "W3009";
/// A rule written after `otherwise`, which still decides before it.
pub const RULE_AFTER_OTHERWISE: &str = "W3010";

/// A record that is not valid JSON, or not an object.
pub const RECORD_MALFORMED: &str = "R0101";
/// A field whose value has the wrong type.
pub const RECORD_WRONG_TYPE: &str = "R0201";
/// A required field that is missing.
pub const RECORD_MISSING_FIELD: &str = "R0202";
/// An enum field whose value is not a variant.
pub const RECORD_UNKNOWN_VARIANT: &str = "R0203";
/// An integer beyond 64 bits.
pub const RECORD_INTEGER_RANGE: &str = "R0204";
/// A time or date field that is not RFC 3339 / `YYYY-MM-DD`.
pub const RECORD_BAD_TIME: &str = "R0205";
/// Integer overflow while evaluating.
pub const RUNTIME_OVERFLOW: &str = "R0301";
/// Division by zero while evaluating.
pub const RUNTIME_DIVISION_BY_ZERO: &str = "R0302";
/// Time arithmetic beyond the representable range.
pub const RUNTIME_TIME_RANGE: &str = "R0303";
/// Two ownership actions with different targets under `all match`.
pub const RUNTIME_OWNERSHIP_CONFLICT: &str = "R0304";
/// More than one rule held under `unique match`.
pub const RUNTIME_NOT_UNIQUE: &str = "R0305";
/// The evaluation ran out of fuel.
pub const RUNTIME_FUEL: &str = "R0306";
/// Assignment state that cannot be opened, read or written.
pub const STATE_UNREADABLE: &str = "S0001";
/// Assignment state written by another version of roe.
pub const STATE_VERSION: &str = "S0002";
