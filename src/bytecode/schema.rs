//! Record and enum types: the schema a policy was checked against, carried in
//! the Program so the VM can validate each input record before binding it.

/// A value type of the language.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// A signed 64-bit integer.
    Int,
    /// A 64-bit float.
    Number,
    /// UTF-8 text.
    String,
    /// `true` or `false`.
    Bool,
    /// An instant.
    Time,
    /// A calendar date.
    Date,
    /// A length of time.
    Duration,
    /// An enum, by index into [`Schema::enums`].
    Enum(u32),
    /// A record, by index into [`Schema::records`].
    Record(u32),
    /// `list of T`
    List(Box<Type>),
    /// `T?`: may be missing.
    Optional(Box<Type>),
}

impl Type {
    /// The type without its `?`.
    pub fn required(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }

    /// Whether the value may be missing.
    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_))
    }

    /// `T?` for this type (unchanged if already optional).
    pub fn optional(self) -> Type {
        match self {
            Type::Optional(_) => self,
            other => Type::Optional(Box::new(other)),
        }
    }

    /// Whether ints and numbers of this type can be compared and added.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Number)
    }
}

/// An enum type and its variants in declaration order.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumType {
    /// The enum's name.
    pub name: String,
    /// Its variants; a variant's value is its index here.
    pub variants: Vec<String>,
    /// The labels input may give a variant by instead of its name (a CRM's
    /// picklist values: `"Open - Not Contacted"`), each with its variant.
    pub labels: Vec<Label>,
}

impl EnumType {
    /// The variant an input value names: a variant's name, or else a label.
    pub fn variant_of(&self, text: &str) -> Option<u32> {
        match self.variants.iter().position(|v| v == text) {
            Some(i) => u32::try_from(i).ok(),
            None => self
                .labels
                .iter()
                .find(|l| l.text == text)
                .map(|l| l.variant),
        }
    }
}

/// A label of an enum variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// The text input gives.
    pub text: String,
    /// The variant's index.
    pub variant: u32,
}

/// A field of a record type.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The field's name (its JSON key).
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Where input gives its value besides under its name.
    pub read: ReadAs,
}

impl Field {
    /// The keys the field is read from, in rank order: its name, then its
    /// sources. When a record gives it under several, the first counts.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.read.sources.iter().map(String::as_str))
    }
}

/// How input gives a field: under which keys, and for a time or a date,
/// in which formats.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadAs {
    /// Other keys (JSON) and headers (CSV) the field is read from, in order
    /// of preference after its name.
    pub sources: Vec<String>,
    /// strftime patterns a time or date may be written in besides RFC 3339,
    /// tried in order.
    pub formats: Vec<String>,
    /// The IANA time zone of a time written with no offset.
    pub timezone: Option<String>,
}

impl ReadAs {
    /// A field read under its name only, a time or date as RFC 3339.
    pub const PLAIN: ReadAs = ReadAs {
        sources: Vec::new(),
        formats: Vec::new(),
        timezone: None,
    };

    /// The formats of its time or date text.
    pub fn formats(&self) -> crate::time::formats::Formats<'_> {
        crate::time::formats::Formats {
            patterns: &self.formats,
            zone: self.timezone.as_deref(),
        }
    }
}

/// A record type and its fields in declaration order.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordType {
    /// The record's name.
    pub name: String,
    /// Its fields.
    pub fields: Vec<Field>,
    /// The index of the field whose value is a record's id on its decision
    /// line: the field named by `key`, or else a field named `id`.
    pub key: Option<u32>,
}

impl RecordType {
    /// The field called `name`, with its index.
    pub fn field(&self, name: &str) -> Option<(usize, &Field)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }

    /// The key field, if the record has one.
    pub fn key_field(&self) -> Option<&Field> {
        self.key.and_then(|k| self.fields.get(k as usize))
    }

    /// The field a key of input names, with the key's rank ([`Field::keys`]).
    pub fn field_by_key(&self, key: &str) -> Option<(usize, usize)> {
        self.fields
            .iter()
            .enumerate()
            .find_map(|(i, f)| f.keys().position(|k| k == key).map(|rank| (i, rank)))
    }

    /// The field a CSV header names: a field's name as written, or else its
    /// name or a source ignoring case and surrounding spaces; with the rank.
    pub fn field_by_header(&self, header: &str) -> Option<(usize, usize)> {
        let header = header.trim();
        self.field_by_key(header).or_else(|| {
            let folded = fold_header(header);
            self.fields.iter().enumerate().find_map(|(i, f)| {
                f.keys()
                    .position(|k| fold_header(k) == folded)
                    .map(|rank| (i, rank))
            })
        })
    }
}

/// A key as a CSV header matches it: case and surrounding spaces aside.
pub fn fold_header(key: &str) -> String {
    key.trim().to_lowercase()
}

/// All enum and record types a policy can see.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    /// Enum types, indexed by [`Type::Enum`].
    pub enums: Vec<EnumType>,
    /// Record types, indexed by [`Type::Record`].
    pub records: Vec<RecordType>,
}

impl Schema {
    /// The enum with this index.
    pub fn enum_type(&self, id: u32) -> Option<&EnumType> {
        self.enums.get(id as usize)
    }

    /// The record with this index.
    pub fn record(&self, id: u32) -> Option<&RecordType> {
        self.records.get(id as usize)
    }

    /// The type of the field at `path` in record `record`: optional when
    /// the field or a record on the way may be missing.
    pub fn path_type(&self, record: u32, path: &[String]) -> Option<Type> {
        let mut record = self.record(record)?;
        let mut optional = false;
        let mut ty = None;
        for name in path {
            let (_, field) = record.field(name)?;
            optional |= field.ty.is_optional();
            if let Type::Record(r) = field.ty.required() {
                record = self.record(*r)?;
            }
            ty = Some(field.ty.required().clone());
        }
        ty.map(|t| if optional { t.optional() } else { t })
    }

    /// The type as a user writes it: `int?`, `list of segment`.
    pub fn display(&self, ty: &Type) -> String {
        match ty {
            Type::Int => "int".into(),
            Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::Bool => "bool".into(),
            Type::Time => "time".into(),
            Type::Date => "date".into(),
            Type::Duration => "duration".into(),
            Type::Enum(id) => self
                .enum_type(*id)
                .map_or_else(|| format!("enum#{id}"), |e| e.name.clone()),
            Type::Record(id) => self
                .record(*id)
                .map_or_else(|| format!("record#{id}"), |r| r.name.clone()),
            Type::List(inner) => format!("list of {}", self.display(inner)),
            Type::Optional(inner) => format!("{}?", self.display(inner)),
        }
    }
}
