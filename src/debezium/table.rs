//! What is worked out once per table description ([`RelationInfo::generation`]): the topic,
//! the columns Debezium keeps and their conversions and defaults, the key columns, and the key
//! and envelope schemas already serialized.

use crate::change::value::Value;
use crate::change::{ColumnInfo, Datum, RelationInfo, ReplicaIdentity, Row};

use super::columns::{HashAlgorithm, Mapper, hash_text, truncate_utf16};
use super::config::{BinaryMode, DebeziumConfig};
use super::defaults::{default_json, fallback_json};
use super::envelope::envelope_schema;
use super::json::write_str;
use super::schema::{Field, Schema};
use super::snapshot::write_snapshot_value;
use super::topic::table_topic;
use super::types::{Conv, map_type};
use super::values::{Mismatch, write_binary, write_unavailable, write_value};

/// A column as Debezium writes it.
#[derive(Debug, Clone)]
pub struct PlannedColumn {
    /// Its index in the row images.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// Its conversion.
    pub conv: Conv,
    /// The schema default, as JSON.
    pub default: Option<Box<[u8]>>,
    /// Whether the schema is optional.
    pub optional: bool,
    /// What a column mapper does to its values (never in the key).
    pub map: Option<ColumnMap>,
}

/// A column mapper as it applies to one column.
#[derive(Debug, Clone)]
pub enum ColumnMap {
    /// Every value becomes this mask (a string column of `column.mask.with.N.chars`).
    Mask(Box<str>),
    /// Strings are cut to this many UTF-16 units, binary values to this many bytes.
    Truncate(usize),
    /// Strings become their hash (a string column of `column.mask.hash.*`).
    Hash {
        /// The digest.
        algorithm: HashAlgorithm,
        /// The salt.
        salt: Box<[u8]>,
        /// v2 (UTF-8 text) or v1 (Java serialization).
        v2: bool,
        /// The column's length, to which the hash is cut.
        length: Option<usize>,
    },
}

/// A table's topic, columns and serialized schemas.
#[derive(Debug, Clone)]
pub struct TablePlan {
    /// The description this plan is for.
    pub generation: u64,
    /// The topic (and schema name stem).
    pub topic: String,
    /// The columns written, in order.
    pub columns: Vec<PlannedColumn>,
    /// The key columns, in key order; empty when the key is null.
    pub key: Vec<PlannedColumn>,
    /// The key schema's JSON.
    pub key_schema: Box<[u8]>,
    /// The row (`before`/`after`) schema.
    pub row_schema: Schema,
    /// The envelope schema's JSON.
    pub value_schema: Box<[u8]>,
    /// With `ExtractNewRecordState`: the JSON of the flattened value's schema, and of the row
    /// schema (which a delete turned into a null value keeps).
    pub flat_schemas: Option<FlatSchemas>,
}

/// The flattened value's schema JSON and the row schema JSON (see [`TablePlan::flat_schemas`]).
pub type FlatSchemas = (Box<[u8]>, Box<[u8]>);

/// How a row image is written.
#[derive(Debug, Clone, Copy)]
pub struct RowStyle<'a> {
    /// Turn nulls into the schema default (`replace.null.with.default`).
    pub replace_null_with_default: bool,
    /// The unchanged-TOAST placeholder.
    pub placeholder: &'a str,
    /// A snapshot row: some values are written as Debezium's snapshot writes them.
    pub snapshot: bool,
}

/// PostgreSQL's character types, which Debezium's string masks apply to (JDBC `CHAR` and
/// `VARCHAR`): `"char"`, `name`, `text`, `bpchar`, `varchar`.
const CHARACTER_TYPES: [u32; 5] = [18, 19, 25, 1042, 1043];

/// The length Debezium knows for a column (JDBC's column size), `None` when unbounded.
fn column_length(column: &ColumnInfo) -> Option<usize> {
    let declared = || usize::try_from(column.type_modifier - 4).ok();
    match column.type_oid {
        1042 | 1043 => declared(),
        18 | 16 => Some(1),
        21 => Some(5),
        23 => Some(10),
        20 => Some(19),
        700 => Some(8),
        701 => Some(17),
        1700 => usize::try_from((column.type_modifier - 4) >> 16).ok(),
        _ => None,
    }
}

/// What `mapper` does to `column`, and the schema parameter it adds.
fn column_map(
    column: &ColumnInfo,
    mapper: &Mapper,
) -> (Option<ColumnMap>, Option<(&'static str, String)>) {
    let character = CHARACTER_TYPES.contains(&column.type_oid);
    match mapper {
        Mapper::Mask(mask) => (
            character.then(|| ColumnMap::Mask(mask.as_str().into())),
            Some(("masked", "true".to_owned())),
        ),
        Mapper::Truncate(max) => {
            if column_length(column).is_some_and(|length| length <= *max) {
                (None, None)
            } else {
                (
                    Some(ColumnMap::Truncate(*max)),
                    Some(("truncateLength", max.to_string())),
                )
            }
        }
        Mapper::Hash {
            algorithm,
            salt,
            v2,
        } => (
            character.then(|| ColumnMap::Hash {
                algorithm: *algorithm,
                salt: salt.clone().into_boxed_slice(),
                v2: *v2,
                length: column_length(column).filter(|&n| n > 0),
            }),
            Some(("masked", "true".to_owned())),
        ),
    }
}

impl TablePlan {
    /// Works out the plan of a table.
    pub fn new(relation: &RelationInfo, config: &DebeziumConfig) -> Self {
        let topic = table_topic(&config.topic_prefix, &relation.schema, &relation.table);
        let rules = &config.columns;
        let (schema_name, table_name) = (&relation.schema, &relation.table);
        let has_pk = relation.columns.iter().any(|c| c.in_primary_key);
        let names: Vec<&str> = relation.columns.iter().map(|c| c.name.as_str()).collect();
        let custom_key = rules.key_columns(schema_name, table_name, &names);
        let mut columns = Vec::with_capacity(relation.columns.len());
        let mut fields = Vec::with_capacity(relation.columns.len());
        let mut key = Vec::new();
        let mut key_fields = Vec::new();
        for (index, column) in relation.columns.iter().enumerate() {
            let Some(mapping) = map_type(
                &relation.types,
                column.type_oid,
                column.type_modifier,
                config,
            ) else {
                continue;
            };
            let natural_key = if has_pk {
                column.in_primary_key
            } else {
                relation.replica_identity == ReplicaIdentity::Index && column.in_replica_identity
            };
            let optional = column.nullable && !natural_key;
            let default = default_json(&relation.types, column, &mapping.conv);
            let mut schema = mapping.schema.with_optional(optional);
            schema.default.clone_from(&default);
            let in_key = if custom_key.is_empty() {
                natural_key
            } else {
                custom_key.contains(&index)
            };
            if in_key {
                // The key never goes through a mapper; with message.key.columns, a nullable
                // column is optional in the key.
                // An excluded key column is optional in the key as well, as Debezium has it.
                let key_optional = (!custom_key.is_empty() && column.nullable)
                    || !rules.keeps(schema_name, table_name, &column.name);
                key.push(PlannedColumn {
                    index,
                    name: column.name.clone(),
                    conv: mapping.conv.clone(),
                    default: default.clone(),
                    optional: key_optional,
                    map: None,
                });
                key_fields.push(Field::new(
                    column.name.clone(),
                    schema.clone().with_optional(key_optional),
                ));
            }
            if !rules.keeps(schema_name, table_name, &column.name) {
                continue;
            }
            let mut map = None;
            if let Some(mapper) = rules.mapper(schema_name, table_name, &column.name) {
                let (applied, parameter) = column_map(column, mapper);
                map = applied;
                if let Some((name, value)) = parameter {
                    schema = schema.with_parameter(name, value);
                }
            }
            fields.push(Field::new(column.name.clone(), schema));
            columns.push(PlannedColumn {
                index,
                name: column.name.clone(),
                conv: mapping.conv,
                default,
                optional,
                map,
            });
        }
        if !custom_key.is_empty() {
            // Key fields follow the order of the message.key.columns expressions.
            let order = |c: &PlannedColumn| custom_key.iter().position(|&i| i == c.index);
            let mut paired: Vec<_> = key.into_iter().zip(key_fields).collect();
            paired.sort_by_key(|(c, _)| order(c));
            (key, key_fields) = paired.into_iter().unzip();
        }
        let mut key_schema = Vec::new();
        Schema::structure(key_fields, false)
            .named(format!("{topic}.Key"), None)
            .write_json(&mut key_schema, None);
        let row_schema = Schema::structure(fields, true).named(format!("{topic}.Value"), None);
        let mut value_schema = Vec::new();
        envelope_schema(row_schema.clone(), &topic).write_json(&mut value_schema, None);
        let flat_schemas = config.transforms.unwrap().map(|unwrap| {
            let mut flat = Vec::new();
            unwrap.value_schema(&row_schema).write_json(&mut flat, None);
            let mut row = Vec::new();
            row_schema.write_json(&mut row, None);
            (flat.into_boxed_slice(), row.into_boxed_slice())
        });
        Self {
            generation: relation.generation,
            topic,
            columns,
            key,
            key_schema: key_schema.into_boxed_slice(),
            row_schema,
            value_schema: value_schema.into_boxed_slice(),
            flat_schemas,
        }
    }

    /// Appends a row image as a struct payload. An unchanged TOASTed value is taken from
    /// `fallback` (the full old row) when it has it, else written as the placeholder.
    pub fn write_row(
        &self,
        out: &mut Vec<u8>,
        row: &Row,
        fallback: Option<&Row>,
        style: RowStyle<'_>,
    ) -> Result<(), Mismatch> {
        out.push(b'{');
        for (n, column) in self.columns.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_str(out, &column.name);
            out.push(b':');
            let mut datum = row.values.get(column.index).unwrap_or(&Datum::Null);
            if matches!(datum, Datum::UnchangedToast) {
                if let Some(old @ Datum::Value(_)) =
                    fallback.and_then(|f| f.values.get(column.index))
                {
                    datum = old;
                }
            }
            if let Some(map) = &column.map {
                write_mapped(out, column, map, datum, style)?;
                continue;
            }
            write_datum(out, column, datum, style)?;
        }
        out.push(b'}');
        Ok(())
    }

    /// Appends the key payload from a row image; `false` (and nothing written) when the table
    /// has no key.
    pub fn write_key(
        &self,
        out: &mut Vec<u8>,
        row: &Row,
        style: RowStyle<'_>,
    ) -> Result<bool, Mismatch> {
        if self.key.is_empty() {
            return Ok(false);
        }
        out.push(b'{');
        for (n, column) in self.key.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_str(out, &column.name);
            out.push(b':');
            match row.values.get(column.index) {
                Some(Datum::Value(v)) => write_value(out, &column.conv, v)?,
                Some(Datum::UnchangedToast) => {
                    write_unavailable(out, &column.conv, style.placeholder);
                }
                _ => match &column.default {
                    Some(default) if style.replace_null_with_default || !column.optional => {
                        out.extend_from_slice(default);
                    }
                    _ if column.optional => out.extend_from_slice(b"null"),
                    _ => match fallback_json(&column.conv) {
                        Some(zero) => out.extend_from_slice(&zero),
                        None => out.extend_from_slice(b"null"),
                    },
                },
            }
        }
        out.push(b'}');
        Ok(true)
    }
}

/// Appends one value of a column without a mapper.
fn write_datum(
    out: &mut Vec<u8>,
    column: &PlannedColumn,
    datum: &Datum,
    style: RowStyle<'_>,
) -> Result<(), Mismatch> {
    match datum {
        Datum::Value(v) if style.snapshot && write_snapshot_value(out, &column.conv, v) => {}
        Datum::Value(v) => write_value(out, &column.conv, v)?,
        Datum::UnchangedToast => write_unavailable(out, &column.conv, style.placeholder),
        Datum::Null => match &column.default {
            Some(default) if style.replace_null_with_default || !column.optional => {
                out.extend_from_slice(default);
            }
            // A column that cannot be null but is missing from an old row image: Debezium's
            // converter gives it its type's zero.
            _ if !column.optional => match fallback_json(&column.conv) {
                Some(zero) => out.extend_from_slice(&zero),
                None => out.extend_from_slice(b"null"),
            },
            _ => out.extend_from_slice(b"null"),
        },
    }
    Ok(())
}

/// Appends one value of a column with a mapper: Debezium applies it to the converted value
/// (a null too), and the converter then turns a null into the schema default.
fn write_mapped(
    out: &mut Vec<u8>,
    column: &PlannedColumn,
    map: &ColumnMap,
    datum: &Datum,
    style: RowStyle<'_>,
) -> Result<(), Mismatch> {
    if let ColumnMap::Mask(mask) = map {
        write_str(out, mask);
        return Ok(());
    }
    if let (ColumnMap::Truncate(max), Datum::Value(Value::Bytea(bytes))) = (map, datum) {
        if column.conv == Conv::Binary(BinaryMode::Bytes) {
            write_binary(out, BinaryMode::Bytes, &bytes[..bytes.len().min(*max)]);
            return Ok(());
        }
    }
    if matches!(datum, Datum::Null) {
        return write_datum(out, column, datum, style);
    }
    let mut converted = Vec::new();
    write_datum(&mut converted, column, datum, style)?;
    // Only string values are changed; the converted JSON tells whether it is one.
    let text = if converted.first() == Some(&b'"') {
        serde_json::from_slice::<String>(&converted).ok()
    } else {
        None
    };
    let Some(text) = text else {
        out.extend_from_slice(&converted);
        return Ok(());
    };
    match map {
        ColumnMap::Truncate(max) => {
            let (kept, dangling) = truncate_utf16(&text, *max);
            write_str(out, kept);
            if let Some(unit) = dangling {
                // Java keeps half of a split surrogate pair; Jackson escapes it alone.
                out.pop();
                out.extend_from_slice(format!("\\u{unit:04X}\"").as_bytes());
            }
        }
        ColumnMap::Hash {
            algorithm,
            salt,
            v2,
            length,
        } => write_str(out, &hash_text(*algorithm, salt, *v2, &text, *length)),
        ColumnMap::Mask(_) => {}
    }
    Ok(())
}
