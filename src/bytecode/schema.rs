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
}

/// A field of a record type.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The field's name (its JSON key).
    pub name: String,
    /// Its type.
    pub ty: Type,
}

/// A record type and its fields in declaration order.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordType {
    /// The record's name.
    pub name: String,
    /// Its fields.
    pub fields: Vec<Field>,
}

impl RecordType {
    /// The field called `name`, with its index.
    pub fn field(&self, name: &str) -> Option<(usize, &Field)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }
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
