//! What is worked out once per table description ([`RelationInfo::generation`]): the topic,
//! the columns Debezium keeps and their conversions and defaults, the key columns, and the key
//! and envelope schemas already serialized.

use crate::change::{Datum, RelationInfo, ReplicaIdentity, Row};

use super::config::DebeziumConfig;
use super::defaults::default_json;
use super::envelope::envelope_schema;
use super::json::write_str;
use super::schema::{Field, Schema};
use super::topic::table_topic;
use super::types::{Conv, map_type};
use super::values::{Mismatch, write_unavailable, write_value};

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
    /// The key columns, as indexes into `columns`; empty when the key is null.
    pub key: Vec<usize>,
    /// The key schema's JSON.
    pub key_schema: Box<[u8]>,
    /// The envelope schema's JSON.
    pub value_schema: Box<[u8]>,
}

/// How a row image is written.
#[derive(Debug, Clone, Copy)]
pub struct RowStyle<'a> {
    /// Turn nulls into the schema default (`replace.null.with.default`).
    pub replace_null_with_default: bool,
    /// The unchanged-TOAST placeholder.
    pub placeholder: &'a str,
}

impl TablePlan {
    /// Works out the plan of a table.
    pub fn new(relation: &RelationInfo, config: &DebeziumConfig) -> Self {
        let topic = table_topic(&config.topic_prefix, &relation.schema, &relation.table);
        let has_pk = relation.columns.iter().any(|c| c.in_primary_key);
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
            let in_key = if has_pk {
                column.in_primary_key
            } else {
                relation.replica_identity == ReplicaIdentity::Index && column.in_replica_identity
            };
            let optional = column.nullable && !in_key;
            let default = default_json(&relation.types, column, &mapping.conv);
            let mut schema = mapping.schema.with_optional(optional);
            schema.default.clone_from(&default);
            if in_key {
                key.push(columns.len());
                key_fields.push(Field::new(column.name.clone(), schema.clone()));
            }
            fields.push(Field::new(column.name.clone(), schema));
            columns.push(PlannedColumn {
                index,
                name: column.name.clone(),
                conv: mapping.conv,
                default,
                optional,
            });
        }
        let mut key_schema = Vec::new();
        Schema::structure(key_fields, false)
            .named(format!("{topic}.Key"), None)
            .write_json(&mut key_schema, None);
        let row_schema = Schema::structure(fields, true).named(format!("{topic}.Value"), None);
        let mut value_schema = Vec::new();
        envelope_schema(row_schema, &topic).write_json(&mut value_schema, None);
        Self {
            generation: relation.generation,
            topic,
            columns,
            key,
            key_schema: key_schema.into_boxed_slice(),
            value_schema: value_schema.into_boxed_slice(),
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
            match datum {
                Datum::Value(v) => write_value(out, &column.conv, v)?,
                Datum::UnchangedToast => write_unavailable(out, &column.conv, style.placeholder),
                Datum::Null => match &column.default {
                    Some(default) if style.replace_null_with_default || !column.optional => {
                        out.extend_from_slice(default);
                    }
                    _ => out.extend_from_slice(b"null"),
                },
            }
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
        for (n, &k) in self.key.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let column = &self.columns[k];
            write_str(out, &column.name);
            out.push(b':');
            match row.values.get(column.index) {
                Some(Datum::Value(v)) => write_value(out, &column.conv, v)?,
                Some(Datum::UnchangedToast) => {
                    write_unavailable(out, &column.conv, style.placeholder);
                }
                _ => match &column.default {
                    Some(default) => out.extend_from_slice(default),
                    None => out.extend_from_slice(b"null"),
                },
            }
        }
        out.push(b'}');
        Ok(true)
    }
}
