//! Fingerprints: FNV-1a 64 over a canonical encoding. The schema fingerprint
//! covers the subject record type and every enum and record it reaches, in
//! the order fields reach them, so it changes exactly when the shape of an
//! acceptable record changes (not when an unrelated type is added): the
//! keys, formats and labels input may use are part of that shape.

use crate::bytecode::schema::{Schema, Type};

/// FNV-1a 64 of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The fingerprint of the record type `subject` of `schema` and all it reaches.
pub fn schema_fingerprint(schema: &Schema, subject: u32) -> u64 {
    let mut out = Vec::new();
    let mut records = vec![subject];
    let mut enums: Vec<u32> = Vec::new();
    let mut next = 0;
    while let Some(&id) = records.get(next) {
        next += 1;
        let Some(record) = schema.record(id) else {
            continue;
        };
        text(&mut out, "record");
        text(&mut out, &record.name);
        for field in &record.fields {
            text(&mut out, &field.name);
            ty(&mut out, schema, &field.ty, &mut records, &mut enums);
            // How input gives the field, only when it says more than its
            // name and RFC 3339, so fingerprints of plain schemas stay put.
            let read = &field.read;
            for (clause, values) in [("from", &read.sources), ("format", &read.formats)] {
                if !values.is_empty() {
                    text(&mut out, clause);
                    values.iter().for_each(|v| text(&mut out, v));
                }
            }
            if let Some(zone) = &read.timezone {
                text(&mut out, "timezone");
                text(&mut out, zone);
            }
        }
        if let Some(key) = record.key_field().filter(|f| f.name != "id") {
            text(&mut out, "key");
            text(&mut out, &key.name);
        }
    }
    for id in enums {
        if let Some(e) = schema.enum_type(id) {
            text(&mut out, "enum");
            text(&mut out, &e.name);
            e.variants.iter().for_each(|v| text(&mut out, v));
            for label in &e.labels {
                text(&mut out, "label");
                text(&mut out, &label.text);
                out.extend_from_slice(&label.variant.to_le_bytes());
            }
        }
    }
    fnv1a(&out)
}

fn text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn ty(out: &mut Vec<u8>, schema: &Schema, t: &Type, records: &mut Vec<u32>, enums: &mut Vec<u32>) {
    match t {
        Type::Optional(inner) => {
            text(out, "?");
            ty(out, schema, inner, records, enums);
        }
        Type::List(inner) => {
            text(out, "list");
            ty(out, schema, inner, records, enums);
        }
        Type::Enum(id) => {
            text(
                out,
                schema.enum_type(*id).map_or("?enum", |e| e.name.as_str()),
            );
            if !enums.contains(id) {
                enums.push(*id);
            }
        }
        Type::Record(id) => {
            text(
                out,
                schema.record(*id).map_or("?record", |r| r.name.as_str()),
            );
            if !records.contains(id) {
                records.push(*id);
            }
        }
        other => text(out, &schema.display(other)),
    }
}
