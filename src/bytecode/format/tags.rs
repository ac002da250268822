//! The tag of every variant the `.roec` format writes, each written once.
//!
//! `tags!` turns one list of `Variant = tag` into both directions: `tag` is an
//! exhaustive `match`, so a variant without a tag does not compile (encoding
//! can never meet a value it has no tag for), and `from_tag` is its inverse,
//! `None` for a tag no variant has (a duplicate tag is an unreachable pattern,
//! which the lints deny). Enums whose variants carry data get a kind enum
//! here that names their variants; the writer and reader match on it.

use crate::bytecode::program::HitPolicy;
use crate::bytecode::value::{Builtin, Op};

/// An enum the format writes as a one-byte tag.
pub(super) trait Tagged: Copy + 'static {
    /// What a variant is, for the error that names an unknown tag ("an operator").
    const WHAT: &'static str;
    /// Every variant with its tag.
    #[cfg(test)]
    const TAGS: &'static [(Self, u8)];
    /// The variant's tag.
    fn tag(self) -> u8;
    /// The variant with this tag.
    fn from_tag(tag: u8) -> Option<Self>;
}

/// Implements [`Tagged`] from one list of `Variant = tag`; with `enum`, first
/// declares the kind enum of those variants.
macro_rules! tags {
    (impl $ty:ident, $what:literal { $($variant:ident = $tag:literal,)* }) => {
        impl Tagged for $ty {
            const WHAT: &'static str = $what;
            #[cfg(test)]
            const TAGS: &'static [(Self, u8)] = &[$(($ty::$variant, $tag)),*];
            fn tag(self) -> u8 {
                match self {
                    $($ty::$variant => $tag,)*
                }
            }
            fn from_tag(tag: u8) -> Option<Self> {
                match tag {
                    $($tag => Some($ty::$variant),)*
                    _ => None,
                }
            }
        }
    };
    ($(#[$doc:meta])* enum $ty:ident, $what:literal { $($variant:ident = $tag:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(super) enum $ty {
            $($variant,)*
        }
        tags!(impl $ty, $what { $($variant = $tag,)* });
    };
}

tags!(impl HitPolicy, "a hit policy" {
    First = 0,
    All = 1,
    Unique = 2,
});

tags!(impl Op, "an operator" {
    Add = 0,
    Sub = 1,
    Mul = 2,
    Div = 3,
    Eq = 4,
    Ne = 5,
    Lt = 6,
    Le = 7,
    Gt = 8,
    Ge = 9,
    In = 10,
    NotIn = 11,
    Contains = 12,
    StartsWith = 13,
    EndsWith = 14,
});

tags!(impl Builtin, "a built-in function" {
    Lower = 0,
    Upper = 1,
    Len = 2,
    DaysSince = 3,
    HoursSince = 4,
    Domain = 5,
    Weekday = 6,
});

tags! {
    /// The variants of [`Instruction`](crate::bytecode::instruction::Instruction).
    enum Opcode, "an instruction" {
        Const = 0,
        Slot = 1,
        Let = 2,
        Now = 3,
        Not = 4,
        Neg = 5,
        ToNumber = 6,
        Binary = 7,
        Matches = 8,
        IsSet = 9,
        Call = 10,
        MakeList = 11,
        JumpIfFalseOrPop = 12,
        JumpIfTrueOrPop = 13,
        JumpIfPresentOrPop = 14,
        IsOpen = 15,
        OpenHoursBetween = 16,
        LocalWeekday = 17,
        LocalHour = 18,
    }
}

tags! {
    /// The variants of [`Type`](crate::bytecode::schema::Type).
    enum TypeKind, "a type" {
        Int = 0,
        Number = 1,
        String = 2,
        Bool = 3,
        Time = 4,
        Date = 5,
        Duration = 6,
        Enum = 7,
        Record = 8,
        List = 9,
        Optional = 10,
    }
}

tags! {
    /// The variants of [`Value`](crate::bytecode::value::Value).
    enum ValueKind, "a value" {
        Missing = 0,
        Present = 1,
        Bool = 2,
        Int = 3,
        Number = 4,
        Str = 5,
        Time = 6,
        Date = 7,
        Duration = 8,
        Enum = 9,
        List = 10,
    }
}

tags! {
    /// The variants of [`ActionTemplate`](crate::bytecode::program::ActionTemplate).
    enum ActionKind, "an action" {
        HandOff = 0,
        Assign = 1,
        Escalate = 2,
        Reassign = 3,
        Notify = 4,
        Tag = 5,
        Set = 6,
        Drop = 7,
    }
}

tags! {
    /// The variants of [`Target`](crate::bytecode::program::Target).
    enum TargetKind, "a target" {
        Team = 0,
        Person = 1,
    }
}

tags! {
    /// The variants of [`SloLength`](crate::bytecode::program::SloLength).
    enum SloKind, "a kind of duration" {
        Wall = 0,
        Business = 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Debug;

    /// Every variant of `T` maps to its tag and back, no two share a tag, and
    /// every other byte is no tag.
    fn round_trips<T: Tagged + PartialEq + Debug>() {
        for (variant, tag) in T::TAGS {
            assert_eq!(variant.tag(), *tag, "{variant:?}");
            assert_eq!(T::from_tag(*tag), Some(*variant), "tag {tag}");
        }
        for tag in 0..=u8::MAX {
            let holders = T::TAGS.iter().filter(|(_, t)| *t == tag).count();
            assert!(
                holders <= 1,
                "{holders} variants of {} share tag {tag}",
                T::WHAT
            );
            if holders == 0 {
                assert_eq!(T::from_tag(tag), None, "tag {tag}");
            }
        }
    }

    #[test]
    fn every_variant_round_trips_through_its_unique_tag() {
        round_trips::<HitPolicy>();
        round_trips::<Op>();
        round_trips::<Builtin>();
        round_trips::<Opcode>();
        round_trips::<TypeKind>();
        round_trips::<ValueKind>();
        round_trips::<ActionKind>();
        round_trips::<TargetKind>();
        round_trips::<SloKind>();
    }
}
