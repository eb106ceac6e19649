//! Kafka Connect schemas, and their JSON as `JsonConverter` writes it (`schemas.enable=true`).

use super::json::{write_int, write_str};

/// A Connect schema type.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaType {
    /// A primitive type: `int8` ... `int64`, `float`, `double`, `boolean`, `string`, `bytes`.
    Primitive(&'static str),
    /// An array of one element schema.
    Array(Box<Schema>),
    /// A struct with named fields, in order.
    Struct(Vec<Field>),
    /// A map from key schema to value schema.
    Map(Box<Schema>, Box<Schema>),
}

/// One field of a struct schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field name (never sanitized).
    pub name: String,
    /// Its schema.
    pub schema: Schema,
}

impl Field {
    /// A field.
    pub fn new(name: impl Into<String>, schema: Schema) -> Self {
        Self {
            name: name.into(),
            schema,
        }
    }
}

/// A Connect schema: type, optionality, logical name and version, doc, parameters and default.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The type.
    pub kind: SchemaType,
    /// Whether the value may be null.
    pub optional: bool,
    /// The logical name (`io.debezium.time.Date`, `oracle.public.t.Value`, ...).
    pub name: Option<String>,
    /// The logical version.
    pub version: Option<i32>,
    /// The documentation string.
    pub doc: Option<&'static str>,
    /// Parameters, in order.
    pub parameters: Vec<(String, String)>,
    /// The default value, already as JSON text.
    pub default: Option<Box<[u8]>>,
}

impl Schema {
    /// A primitive schema.
    pub fn primitive(kind: &'static str, optional: bool) -> Self {
        Self {
            kind: SchemaType::Primitive(kind),
            optional,
            name: None,
            version: None,
            doc: None,
            parameters: Vec::new(),
            default: None,
        }
    }

    /// A struct schema.
    pub fn structure(fields: Vec<Field>, optional: bool) -> Self {
        Self {
            kind: SchemaType::Struct(fields),
            ..Self::primitive("struct", optional)
        }
    }

    /// An array schema.
    pub fn array(items: Schema, optional: bool) -> Self {
        Self {
            kind: SchemaType::Array(Box::new(items)),
            ..Self::primitive("array", optional)
        }
    }

    /// Sets the logical name and version.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>, version: Option<i32>) -> Self {
        self.name = Some(name.into());
        self.version = version;
        self
    }

    /// Sets the doc.
    #[must_use]
    pub fn with_doc(mut self, doc: &'static str) -> Self {
        self.doc = Some(doc);
        self
    }

    /// Adds a parameter.
    #[must_use]
    pub fn with_parameter(mut self, key: &str, value: impl Into<String>) -> Self {
        self.parameters.push((key.to_owned(), value.into()));
        self
    }

    /// Sets optionality.
    #[must_use]
    pub fn with_optional(mut self, optional: bool) -> Self {
        self.optional = optional;
        self
    }

    /// The type's name as written in the JSON.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            SchemaType::Primitive(name) => name,
            SchemaType::Array(_) => "array",
            SchemaType::Struct(_) => "struct",
            SchemaType::Map(..) => "map",
        }
    }

    /// Appends the schema's JSON, with `"field":name` last when it is a struct field. Keys come
    /// in `JsonConverter`'s order: `type`, `items`/`fields`, `optional`, `name`, `version`,
    /// `doc`, `parameters`, `default`, `field`.
    pub fn write_json(&self, out: &mut Vec<u8>, field: Option<&str>) {
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(self.type_name().as_bytes());
        out.push(b'"');
        match &self.kind {
            SchemaType::Primitive(_) => {}
            SchemaType::Array(items) => {
                out.extend_from_slice(b",\"items\":");
                items.write_json(out, None);
            }
            SchemaType::Struct(fields) => {
                out.extend_from_slice(b",\"fields\":[");
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    f.schema.write_json(out, Some(&f.name));
                }
                out.push(b']');
            }
            SchemaType::Map(keys, values) => {
                out.extend_from_slice(b",\"keys\":");
                keys.write_json(out, None);
                out.extend_from_slice(b",\"values\":");
                values.write_json(out, None);
            }
        }
        out.extend_from_slice(if self.optional {
            b",\"optional\":true"
        } else {
            b",\"optional\":false"
        });
        if let Some(name) = &self.name {
            out.extend_from_slice(b",\"name\":");
            write_str(out, name);
        }
        if let Some(version) = self.version {
            out.extend_from_slice(b",\"version\":");
            write_int(out, version);
        }
        if let Some(doc) = self.doc {
            out.extend_from_slice(b",\"doc\":");
            write_str(out, doc);
        }
        if !self.parameters.is_empty() {
            out.extend_from_slice(b",\"parameters\":{");
            for (i, (k, v)) in self.parameters.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_str(out, v);
            }
            out.push(b'}');
        }
        if let Some(default) = &self.default {
            out.extend_from_slice(b",\"default\":");
            out.extend_from_slice(default);
        }
        if let Some(field) = field {
            out.extend_from_slice(b",\"field\":");
            write_str(out, field);
        }
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_in_converter_order() {
        let mut s = Schema::primitive("bytes", true)
            .named("org.apache.kafka.connect.data.Decimal", Some(1))
            .with_parameter("scale", "2")
            .with_parameter("connect.decimal.precision", "8");
        s.default = Some(b"\"A+c=\"".to_vec().into_boxed_slice());
        let mut out = Vec::new();
        s.write_json(&mut out, Some("price"));
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            r#"{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"8"},"default":"A+c=","field":"price"}"#
        );
        let arr = Schema::array(Schema::primitive("int32", true), true);
        let mut out = Vec::new();
        arr.write_json(&mut out, Some("a_int"));
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            r#"{"type":"array","items":{"type":"int32","optional":true},"optional":true,"field":"a_int"}"#
        );
    }
}
