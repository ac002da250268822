//! Example records: a complete record of the subject type, drawn from a cube,
//! that `roe run` accepts. Fields the cube constrains take a readable value
//! inside their domain; required fields it does not mention take a plain
//! value of their type; optional ones it does not need are left out.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

use super::domain::Domain;
use super::space::{ABSENT, Cube, Kind, PRESENT, Scalar, Space};
use crate::bytecode::schema::{Schema, Type};
use crate::bytecode::value::{self, Value};

/// Records nested deeper than this are not drawn: a record type that needs
/// itself (a required field of its own type) has no finite example.
const MAX_DEPTH: usize = 32;

/// Draws a record from `cube`, or `None` when the subject type has no finite record.
pub fn record(
    space: &Space,
    schema: &Schema,
    subject: u32,
    slots: &[Vec<String>],
    cube: &Cube,
) -> Option<Json> {
    let present = presence(space, cube);
    let by_path: HashMap<&[String], usize> = slots
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_slice(), i))
        .collect();
    let drawer = Drawer {
        space,
        schema,
        cube,
        present,
        by_path,
    };
    drawer.record(subject, &mut Vec::new()).map(Json::Object)
}

struct Drawer<'a> {
    space: &'a Space,
    schema: &'a Schema,
    cube: &'a Cube,
    present: Vec<bool>,
    by_path: HashMap<&'a [String], usize>,
}

impl Drawer<'_> {
    fn record(&self, record: u32, path: &mut Vec<String>) -> Option<Map<String, Json>> {
        let mut out = Map::new();
        if path.len() > MAX_DEPTH {
            return None;
        }
        let Some(fields) = self.schema.record(record).map(|r| &r.fields) else {
            return Some(out);
        };
        for field in fields {
            path.push(field.name.clone());
            let keep = !field.ty.is_optional()
                || self
                    .space
                    .presence_of(path)
                    .is_some_and(|d| self.present.get(d).copied().unwrap_or(false));
            if keep {
                let value = match field.ty.required() {
                    Type::Record(r) => Json::Object(self.record(*r, path)?),
                    ty => self.value(ty, path),
                };
                out.insert(field.name.clone(), value);
            }
            path.pop();
        }
        Some(out)
    }

    fn value(&self, ty: &Type, path: &[String]) -> Json {
        let domain = self
            .by_path
            .get(path)
            .and_then(|&slot| self.space.slots.get(slot))
            .and_then(|dims| self.cube.get(dims.value));
        let picked = domain.and_then(|d| pick(d, ty));
        let v = picked.unwrap_or_else(|| plain(ty));
        value::to_json(&v, ty, self.schema)
    }
}

/// A value of `domain`, for a field of type `ty`.
fn pick(domain: &Domain, ty: &Type) -> Option<Value> {
    match (domain, ty) {
        (Domain::Choices(c), Type::Bool) => c.first().map(|i| Value::Bool(i == 1)),
        (Domain::Choices(c), Type::Enum(_)) => c.first().map(Value::Enum),
        (Domain::Ranges(r), ty) => {
            let scalar = Scalar::of(ty)?;
            scalar.value(scalar.pick(r)?)
        }
        (Domain::Text(t), _) => t.pick().map(|s| Value::str(&s)),
        _ => None,
    }
}

/// A plain value of a type, for a field nothing constrains.
fn plain(ty: &Type) -> Value {
    match ty {
        Type::String => Value::str("example"),
        Type::Bool => Value::Bool(false),
        Type::Enum(_) => Value::Enum(0),
        Type::List(_) => Value::List(Vec::new().into()),
        other => Scalar::of(other)
            .and_then(|s| s.preferred().into_iter().next())
            .unwrap_or(Value::Missing),
    }
}

/// Which presence dimensions the record has present: those the cube forces,
/// the records around them, and those whose values the cube constrains.
fn presence(space: &Space, cube: &Cube) -> Vec<bool> {
    let mut present = vec![false; space.dims.len()];
    let allows = |d: usize, choice: u32| match cube.get(d) {
        Some(Domain::Choices(c)) => c.has(choice),
        _ => true,
    };
    let parent = |d: usize| match space.dims.get(d).map(|x| &x.kind) {
        Some(Kind::Presence { parent, .. }) => *parent,
        _ => None,
    };
    let mark = |mut d: Option<usize>, present: &mut Vec<bool>| {
        while let Some(x) = d {
            if let Some(p) = present.get_mut(x) {
                *p = true;
            }
            d = parent(x);
        }
    };
    for (d, dim) in space.dims.iter().enumerate() {
        if matches!(dim.kind, Kind::Presence { .. }) && !allows(d, ABSENT) {
            mark(Some(d), &mut present);
        }
    }
    // A field whose value the cube constrains is shown, when nothing forbids it.
    for dims in &space.slots {
        let constrained = cube.get(dims.value).is_some();
        let allowed = dims.presence.iter().all(|&d| allows(d, PRESENT));
        if constrained && allowed {
            mark(dims.presence.last().copied(), &mut present);
        }
    }
    present
}
