//! Input records as JSON written token by token (so a number is exactly the
//! text a record holds), and their validation against `lead` by §8.2: every
//! field in declaration order, a wrong value before a missing one, a nested
//! record checked on its own.

use std::collections::BTreeMap;

use crate::eval::Val;
use crate::model::{ACCOUNT, FieldDef, LEAD, Ty};
use crate::time;

/// A JSON value as a record's text writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written (`-0`, `1e303`, `18446744073709551616`).
    Num(&'static str),
    /// A string: its value, and its text when that is not the plain one
    /// (`"\u0054-7"` for `T-7`).
    Str(String, Option<&'static str>),
    /// An array.
    Arr(Vec<Json>),
    /// An object, its members in order.
    Obj(Vec<(&'static str, Json)>),
}

impl Json {
    /// A string with its plain text.
    pub fn str(value: &str) -> Json {
        Json::Str(value.to_owned(), None)
    }

    /// The JSON text, as a record line holds it.
    pub fn text(&self) -> String {
        match self {
            Json::Str(_, Some(raw)) => (*raw).to_owned(),
            Json::Obj(members) => {
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\": {}", v.text()))
                    .collect();
                format!("{{{}}}", members.join(", "))
            }
            Json::Arr(items) => {
                let items: Vec<String> = items.iter().map(Json::text).collect();
                format!("[{}]", items.join(", "))
            }
            other => other.compact(),
        }
    }

    /// The value written compactly, as a decision line echoes an `id` (§6.2):
    /// a number exactly as written, anything else without spaces and with
    /// strings in their plain form.
    pub fn compact(&self) -> String {
        match self {
            Json::Null => "null".to_owned(),
            Json::Bool(b) => b.to_string(),
            Json::Num(n) => (*n).to_owned(),
            Json::Str(s, _) => serde_json::Value::from(s.as_str()).to_string(),
            Json::Arr(items) => {
                let items: Vec<String> = items.iter().map(Json::compact).collect();
                format!("[{}]", items.join(","))
            }
            Json::Obj(members) => {
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\":{}", v.compact()))
                    .collect();
                format!("{{{}}}", members.join(","))
            }
        }
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members
                .iter()
                .rev()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The values of a valid record by dotted path (`score`, `account`,
/// `account.csm`); a missing field has no entry.
pub type Bound = BTreeMap<String, Val>;

/// Why a record is refused: its code and the field at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `R02xx`.
    pub code: &'static str,
    /// The dotted path of the field.
    pub field: String,
}

/// A lead validated and bound, or why it is refused.
pub fn bind(record: &Json) -> Result<Bound, Refusal> {
    let mut bound = Bound::new();
    check(record, LEAD, "", &mut bound)?;
    Ok(bound)
}

/// Checks an object against a record type: the first field present with a
/// wrong value, then the first required field missing or `null`.
fn check(object: &Json, fields: &[FieldDef], prefix: &str, out: &mut Bound) -> Result<(), Refusal> {
    for def in fields {
        let path = format!("{prefix}{}", def.name);
        match object.get(def.name) {
            None | Some(Json::Null) => {}
            Some(nested @ Json::Obj(_)) if def.ty == Ty::Record => {
                check(nested, ACCOUNT, &format!("{path}."), out)?;
                out.insert(path, Val::Record);
            }
            Some(value) => {
                let val = leaf(def.ty, value).map_err(|code| Refusal {
                    code,
                    field: path.clone(),
                })?;
                out.insert(path, val);
            }
        }
    }
    for def in fields.iter().filter(|f| !f.optional) {
        if matches!(object.get(def.name), None | Some(Json::Null)) {
            return Err(Refusal {
                code: "R0202",
                field: format!("{prefix}{}", def.name),
            });
        }
    }
    Ok(())
}

/// A present value of a field of type `ty`, or the code that refuses it.
fn leaf(ty: Ty, value: &Json) -> Result<Val, &'static str> {
    const WRONG: &str = "R0201";
    Ok(match (ty, value) {
        (Ty::Int, Json::Num(text)) => {
            let integer = text.strip_prefix('-').unwrap_or(text);
            if *text == "-0.0" {
                // §8.2: JSON readers do not tell `-0` from `-0.0`.
                Val::Int(0)
            } else if !integer.is_empty() && integer.bytes().all(|b| b.is_ascii_digit()) {
                let n: i128 = text.parse().map_err(|_| "R0204")?;
                Val::Int(i64::try_from(n).map_err(|_| "R0204")?)
            } else {
                return Err(WRONG);
            }
        }
        (Ty::Num, Json::Num(text)) => Val::Num(text.parse().map_err(|_| WRONG)?),
        (Ty::Str, Json::Str(s, _)) => Val::Str(s.clone()),
        (Ty::Bool, Json::Bool(b)) => Val::Bool(*b),
        (Ty::Time, Json::Str(s, _)) => Val::Time(time::instant(s, false).map_err(|_| "R0205")?),
        (Ty::Date, Json::Str(s, _)) => Val::Date(time::date(s).ok_or("R0205")?),
        (Ty::Enum(e), Json::Str(s, _)) => match e.variants().iter().find(|v| **v == s.as_str()) {
            Some(v) => Val::Enum(v),
            None => return Err("R0203"),
        },
        _ => return Err(WRONG),
    })
}
