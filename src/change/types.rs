//! PostgreSQL data types as the change model sees them: a [`TypeCache`] maps type oids to
//! [`TypeInfo`] descriptions.
//!
//! The cache starts with every built-in type of PostgreSQL 15 and 18 (the types of schema
//! `pg_catalog` with a fixed oid below 10000, apart from the row types of system catalogs): base
//! types, pseudo-types, ranges, multiranges and the array type of each. Their oids are the same in
//! both versions. User types read from the catalog later (enums, domains, composites, arrays of
//! them, ranges over them, extension types such as `hstore` and `citext`) are added with
//! [`TypeCache::insert`].
//!
//! Resolution follows the catalog: a domain stands for its base type, recursively
//! ([`TypeCache::resolve`]); an array's elements have the array's `typelem`
//! ([`TypeCache::element_type`]).

use std::collections::HashMap;

/// How a type is built, after `pg_type.typtype` and the catalog tables that refine it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    /// A base type (`typtype = 'b'`) that is not an array: `int4`, `text`, `hstore`, ...
    Base,
    /// An enum (`typtype = 'e'`) with its labels in sort order.
    Enum {
        /// The labels, as `pg_enum.enumlabel` ordered by `enumsortorder`.
        labels: Vec<String>,
    },
    /// A domain (`typtype = 'd'`) over another type, itself possibly a domain.
    Domain {
        /// `pg_type.typbasetype`.
        base_oid: u32,
    },
    /// An array type (`typcategory = 'A'`, `typelem` set, `typsubscript = array_subscript_handler`).
    Array {
        /// `pg_type.typelem`.
        element_oid: u32,
    },
    /// A range type (`typtype = 'r'`).
    Range {
        /// `pg_range.rngsubtype`.
        subtype_oid: u32,
    },
    /// A multirange type (`typtype = 'm'`).
    Multirange {
        /// The range type of its members (`pg_range.rngtypid` where `rngmultitypid` is this type).
        range_oid: u32,
    },
    /// A composite type (`typtype = 'c'`): a table's row type or `CREATE TYPE ... AS (...)`.
    Composite,
    /// A pseudo-type (`typtype = 'p'`): `record`, `anyelement`, `void`, ...
    Pseudo,
}

/// One row of `pg_type`, as much of it as the change model needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeInfo {
    /// `pg_type.oid`.
    pub oid: u32,
    /// The schema name (`pg_catalog` for built-in types).
    pub namespace: String,
    /// `pg_type.typname` (`_int4` for the array of `int4`).
    pub name: String,
    /// What the type is made of.
    pub kind: TypeKind,
    /// `pg_type.typarray`: the oid of the array type over this type, 0 when there is none.
    pub array_oid: u32,
    /// `pg_type.typdelim`: the delimiter between elements of arrays of this type (`,` for every
    /// built-in type except `box`, whose arrays use `;`).
    pub delimiter: u8,
}

impl TypeInfo {
    /// A type with the default delimiter `,` and no array type.
    pub fn new(oid: u32, namespace: &str, name: &str, kind: TypeKind) -> Self {
        Self {
            oid,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            kind,
            array_oid: 0,
            delimiter: b',',
        }
    }

    /// Sets `array_oid`.
    #[must_use]
    pub fn with_array(mut self, array_oid: u32) -> Self {
        self.array_oid = array_oid;
        self
    }

    /// Sets `delimiter`.
    #[must_use]
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }
}

/// Oids below this are assigned by `initdb` (`FirstNormalObjectId`); user types are above it.
pub const FIRST_NORMAL_OID: u32 = 16384;

/// Domains nested deeper than this are treated as a cycle (a corrupt or hostile catalog).
const MAX_DOMAIN_DEPTH: usize = 32;

/// The types known to the change model, by oid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeCache {
    types: HashMap<u32, TypeInfo>,
}

impl Default for TypeCache {
    fn default() -> Self {
        Self::new()
    }
}

impl TypeCache {
    /// A cache holding every built-in type (see the module documentation).
    pub fn new() -> Self {
        let mut types = HashMap::with_capacity(BUILTIN.len() * 2 + 64);
        for builtin in BUILTIN {
            let (kind, namespace) = (builtin.kind.clone(), "pg_catalog");
            let delimiter = if builtin.oid == BOX_OID { b';' } else { b',' };
            let info = TypeInfo::new(builtin.oid, namespace, builtin.name, kind)
                .with_array(builtin.array_oid)
                .with_delimiter(delimiter);
            if builtin.array_oid != 0 {
                let array = TypeInfo::new(
                    builtin.array_oid,
                    namespace,
                    &format!("_{}", builtin.name),
                    TypeKind::Array {
                        element_oid: builtin.oid,
                    },
                )
                .with_delimiter(delimiter);
                types.insert(array.oid, array);
            }
            types.insert(info.oid, info);
        }
        Self { types }
    }

    /// Adds or replaces a type (a user type read from the catalog). Returns the one it replaced.
    pub fn insert(&mut self, info: TypeInfo) -> Option<TypeInfo> {
        self.types.insert(info.oid, info)
    }

    /// Removes a type, e.g. after `DROP TYPE`.
    pub fn remove(&mut self, oid: u32) -> Option<TypeInfo> {
        self.types.remove(&oid)
    }

    /// The type with this oid, as stored (a domain is returned as the domain).
    pub fn get(&self, oid: u32) -> Option<&TypeInfo> {
        self.types.get(&oid)
    }

    /// The first type named `name` in schema `namespace`.
    pub fn by_name(&self, namespace: &str, name: &str) -> Option<&TypeInfo> {
        self.types
            .values()
            .find(|t| t.name == name && t.namespace == namespace)
    }

    /// The type with this oid seen through its domains: the base type of a domain (recursively),
    /// the type itself otherwise. `None` when the oid, or a base type on the way, is unknown, or
    /// when domains nest implausibly deep (a cycle).
    pub fn resolve(&self, oid: u32) -> Option<&TypeInfo> {
        let mut info = self.types.get(&oid)?;
        for _ in 0..MAX_DOMAIN_DEPTH {
            match info.kind {
                TypeKind::Domain { base_oid } => info = self.types.get(&base_oid)?,
                _ => return Some(info),
            }
        }
        None
    }

    /// The element type of an array type (or of a domain over an array type), as stored: an
    /// array of a domain has the domain as its element type.
    pub fn element_type(&self, oid: u32) -> Option<&TypeInfo> {
        match self.resolve(oid)?.kind {
            TypeKind::Array { element_oid } => self.types.get(&element_oid),
            _ => None,
        }
    }

    /// The name of a type for messages: `typname`, or `oid 12345` when unknown.
    pub fn display_name(&self, oid: u32) -> String {
        match self.types.get(&oid) {
            Some(info) => info.name.clone(),
            None => format!("oid {oid}"),
        }
    }

    /// How many types the cache holds.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether the cache is empty (never true for a cache made by [`TypeCache::new`]).
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Every type, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &TypeInfo> {
        self.types.values()
    }

    /// Whether `oid` is one of the built-in types this cache starts with.
    pub fn is_builtin(oid: u32) -> bool {
        BUILTIN
            .iter()
            .any(|b| b.oid == oid || (b.array_oid != 0 && b.array_oid == oid))
    }
}

/// The oid of `box`, the one built-in type whose arrays are delimited by `;`.
const BOX_OID: u32 = 603;

/// A built-in type without its array type (which is derived: `_name`, element this type).
struct Builtin {
    oid: u32,
    name: &'static str,
    kind: TypeKind,
    array_oid: u32,
}

const fn base(oid: u32, name: &'static str, array_oid: u32) -> Builtin {
    Builtin {
        oid,
        name,
        kind: TypeKind::Base,
        array_oid,
    }
}

const fn pseudo(oid: u32, name: &'static str, array_oid: u32) -> Builtin {
    Builtin {
        oid,
        name,
        kind: TypeKind::Pseudo,
        array_oid,
    }
}

const fn range(oid: u32, name: &'static str, array_oid: u32, subtype_oid: u32) -> Builtin {
    Builtin {
        oid,
        name,
        kind: TypeKind::Range { subtype_oid },
        array_oid,
    }
}

const fn multirange(oid: u32, name: &'static str, array_oid: u32, range_oid: u32) -> Builtin {
    Builtin {
        oid,
        name,
        kind: TypeKind::Multirange { range_oid },
        array_oid,
    }
}

/// Every built-in type of PostgreSQL 15 and 18 (identical in both): oid, name, array type oid
/// and, for ranges and multiranges, the subtype or range type. The live test compares this table
/// with `pg_type` of both versions.
static BUILTIN: &[Builtin] = &[
    base(16, "bool", 1000),
    base(17, "bytea", 1001),
    base(18, "char", 1002),
    base(19, "name", 1003),
    base(20, "int8", 1016),
    base(21, "int2", 1005),
    base(22, "int2vector", 1006),
    base(23, "int4", 1007),
    base(24, "regproc", 1008),
    base(25, "text", 1009),
    base(26, "oid", 1028),
    base(27, "tid", 1010),
    base(28, "xid", 1011),
    base(29, "cid", 1012),
    base(30, "oidvector", 1013),
    pseudo(32, "pg_ddl_command", 0),
    base(114, "json", 199),
    base(142, "xml", 143),
    base(194, "pg_node_tree", 0),
    pseudo(269, "table_am_handler", 0),
    pseudo(325, "index_am_handler", 0),
    base(600, "point", 1017),
    base(601, "lseg", 1018),
    base(602, "path", 1019),
    base(603, "box", 1020),
    base(604, "polygon", 1027),
    base(628, "line", 629),
    base(650, "cidr", 651),
    base(700, "float4", 1021),
    base(701, "float8", 1022),
    pseudo(705, "unknown", 0),
    base(718, "circle", 719),
    base(774, "macaddr8", 775),
    base(790, "money", 791),
    base(829, "macaddr", 1040),
    base(869, "inet", 1041),
    base(1033, "aclitem", 1034),
    base(1042, "bpchar", 1014),
    base(1043, "varchar", 1015),
    base(1082, "date", 1182),
    base(1083, "time", 1183),
    base(1114, "timestamp", 1115),
    base(1184, "timestamptz", 1185),
    base(1186, "interval", 1187),
    base(1266, "timetz", 1270),
    base(1560, "bit", 1561),
    base(1562, "varbit", 1563),
    base(1700, "numeric", 1231),
    base(1790, "refcursor", 2201),
    base(2202, "regprocedure", 2207),
    base(2203, "regoper", 2208),
    base(2204, "regoperator", 2209),
    base(2205, "regclass", 2210),
    base(2206, "regtype", 2211),
    pseudo(2249, "record", 2287),
    pseudo(2275, "cstring", 1263),
    pseudo(2276, "any", 0),
    pseudo(2277, "anyarray", 0),
    pseudo(2278, "void", 0),
    pseudo(2279, "trigger", 0),
    pseudo(2280, "language_handler", 0),
    pseudo(2281, "internal", 0),
    pseudo(2283, "anyelement", 0),
    pseudo(2776, "anynonarray", 0),
    base(2950, "uuid", 2951),
    base(2970, "txid_snapshot", 2949),
    pseudo(3115, "fdw_handler", 0),
    base(3220, "pg_lsn", 3221),
    pseudo(3310, "tsm_handler", 0),
    base(3361, "pg_ndistinct", 0),
    base(3402, "pg_dependencies", 0),
    pseudo(3500, "anyenum", 0),
    base(3614, "tsvector", 3643),
    base(3615, "tsquery", 3645),
    base(3642, "gtsvector", 3644),
    base(3734, "regconfig", 3735),
    base(3769, "regdictionary", 3770),
    base(3802, "jsonb", 3807),
    pseudo(3831, "anyrange", 0),
    pseudo(3838, "event_trigger", 0),
    range(3904, "int4range", 3905, 23),
    range(3906, "numrange", 3907, 1700),
    range(3908, "tsrange", 3909, 1114),
    range(3910, "tstzrange", 3911, 1184),
    range(3912, "daterange", 3913, 1082),
    range(3926, "int8range", 3927, 20),
    base(4072, "jsonpath", 4073),
    base(4089, "regnamespace", 4090),
    base(4096, "regrole", 4097),
    base(4191, "regcollation", 4192),
    multirange(4451, "int4multirange", 6150, 3904),
    multirange(4532, "nummultirange", 6151, 3906),
    multirange(4533, "tsmultirange", 6152, 3908),
    multirange(4534, "tstzmultirange", 6153, 3910),
    multirange(4535, "datemultirange", 6155, 3912),
    multirange(4536, "int8multirange", 6157, 3926),
    pseudo(4537, "anymultirange", 0),
    pseudo(4538, "anycompatiblemultirange", 0),
    base(4600, "pg_brin_bloom_summary", 0),
    base(4601, "pg_brin_minmax_multi_summary", 0),
    base(5017, "pg_mcv_list", 0),
    base(5038, "pg_snapshot", 5039),
    base(5069, "xid8", 271),
    pseudo(5077, "anycompatible", 0),
    pseudo(5078, "anycompatiblearray", 0),
    pseudo(5079, "anycompatiblenonarray", 0),
    pseudo(5080, "anycompatiblerange", 0),
];

/// Well-known oids of built-in types, for code that needs to name one.
pub mod oid {
    /// `bool`.
    pub const BOOL: u32 = 16;
    /// `bytea`.
    pub const BYTEA: u32 = 17;
    /// `char`.
    pub const CHAR: u32 = 18;
    /// `name`.
    pub const NAME: u32 = 19;
    /// `int8`.
    pub const INT8: u32 = 20;
    /// `int2`.
    pub const INT2: u32 = 21;
    /// `int2vector`.
    pub const INT2VECTOR: u32 = 22;
    /// `int4`.
    pub const INT4: u32 = 23;
    /// `regproc`.
    pub const REGPROC: u32 = 24;
    /// `text`.
    pub const TEXT: u32 = 25;
    /// `oid`.
    pub const OID: u32 = 26;
    /// `tid`.
    pub const TID: u32 = 27;
    /// `xid`.
    pub const XID: u32 = 28;
    /// `cid`.
    pub const CID: u32 = 29;
    /// `oidvector`.
    pub const OIDVECTOR: u32 = 30;
    /// `json`.
    pub const JSON: u32 = 114;
    /// `xml`.
    pub const XML: u32 = 142;
    /// `point`.
    pub const POINT: u32 = 600;
    /// `lseg`.
    pub const LSEG: u32 = 601;
    /// `path`.
    pub const PATH: u32 = 602;
    /// `box`.
    pub const BOX: u32 = 603;
    /// `polygon`.
    pub const POLYGON: u32 = 604;
    /// `line`.
    pub const LINE: u32 = 628;
    /// `cidr`.
    pub const CIDR: u32 = 650;
    /// `float4`.
    pub const FLOAT4: u32 = 700;
    /// `float8`.
    pub const FLOAT8: u32 = 701;
    /// `unknown`.
    pub const UNKNOWN: u32 = 705;
    /// `circle`.
    pub const CIRCLE: u32 = 718;
    /// `macaddr8`.
    pub const MACADDR8: u32 = 774;
    /// `money`.
    pub const MONEY: u32 = 790;
    /// `macaddr`.
    pub const MACADDR: u32 = 829;
    /// `inet`.
    pub const INET: u32 = 869;
    /// `bpchar`.
    pub const BPCHAR: u32 = 1042;
    /// `varchar`.
    pub const VARCHAR: u32 = 1043;
    /// `date`.
    pub const DATE: u32 = 1082;
    /// `time`.
    pub const TIME: u32 = 1083;
    /// `timestamp`.
    pub const TIMESTAMP: u32 = 1114;
    /// `timestamptz`.
    pub const TIMESTAMPTZ: u32 = 1184;
    /// `interval`.
    pub const INTERVAL: u32 = 1186;
    /// `timetz`.
    pub const TIMETZ: u32 = 1266;
    /// `bit`.
    pub const BIT: u32 = 1560;
    /// `varbit`.
    pub const VARBIT: u32 = 1562;
    /// `numeric`.
    pub const NUMERIC: u32 = 1700;
    /// `uuid`.
    pub const UUID: u32 = 2950;
    /// `pg_lsn`.
    pub const PG_LSN: u32 = 3220;
    /// `tsvector`.
    pub const TSVECTOR: u32 = 3614;
    /// `tsquery`.
    pub const TSQUERY: u32 = 3615;
    /// `jsonb`.
    pub const JSONB: u32 = 3802;
    /// `jsonpath`.
    pub const JSONPATH: u32 = 4072;
    /// `xid8`.
    pub const XID8: u32 = 5069;
    /// `int4range`.
    pub const INT4RANGE: u32 = 3904;
    /// `numrange`.
    pub const NUMRANGE: u32 = 3906;
    /// `tsrange`.
    pub const TSRANGE: u32 = 3908;
    /// `tstzrange`.
    pub const TSTZRANGE: u32 = 3910;
    /// `daterange`.
    pub const DATERANGE: u32 = 3912;
    /// `int8range`.
    pub const INT8RANGE: u32 = 3926;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn built_in_types() {
        let cache = TypeCache::new();
        // 107 types and 78 array types (the live test checks them against pg_type).
        assert_eq!(cache.len(), 185);
        let int4 = cache.get(oid::INT4).unwrap();
        assert_eq!(
            (int4.name.as_str(), int4.namespace.as_str()),
            ("int4", "pg_catalog")
        );
        assert_eq!(int4.array_oid, 1007);
        let array = cache.get(1007).unwrap();
        assert_eq!(array.name, "_int4");
        assert_eq!(
            array.kind,
            TypeKind::Array {
                element_oid: oid::INT4
            }
        );
        assert_eq!(cache.element_type(1007).unwrap().oid, oid::INT4);
        assert_eq!(cache.get(oid::BOX).unwrap().delimiter, b';');
        assert_eq!(cache.get(1020).unwrap().delimiter, b';');
        assert_eq!(cache.get(oid::POINT).unwrap().delimiter, b',');
        assert_eq!(
            cache.get(oid::TSTZRANGE).unwrap().kind,
            TypeKind::Range {
                subtype_oid: oid::TIMESTAMPTZ
            }
        );
        assert_eq!(
            cache.get(4534).unwrap().kind,
            TypeKind::Multirange {
                range_oid: oid::TSTZRANGE
            }
        );
        assert_eq!(cache.get(2249).unwrap().kind, TypeKind::Pseudo);
        assert_eq!(cache.get(2287).unwrap().name, "_record");
        assert!(TypeCache::is_builtin(oid::XID8) && TypeCache::is_builtin(271));
        assert!(!TypeCache::is_builtin(FIRST_NORMAL_OID));
        assert_eq!(
            cache.by_name("pg_catalog", "jsonb").unwrap().oid,
            oid::JSONB
        );
        assert_eq!(cache.display_name(424242), "oid 424242");
        for (oid, name) in [
            (16, "bool"),
            (17, "bytea"),
            (18, "char"),
            (19, "name"),
            (20, "int8"),
            (21, "int2"),
            (23, "int4"),
            (24, "regproc"),
            (25, "text"),
            (26, "oid"),
            (27, "tid"),
            (28, "xid"),
            (29, "cid"),
            (114, "json"),
            (142, "xml"),
            (600, "point"),
            (601, "lseg"),
            (602, "path"),
            (603, "box"),
            (604, "polygon"),
            (628, "line"),
            (650, "cidr"),
            (700, "float4"),
            (701, "float8"),
            (718, "circle"),
            (774, "macaddr8"),
            (790, "money"),
            (829, "macaddr"),
            (869, "inet"),
            (1042, "bpchar"),
            (1043, "varchar"),
            (1082, "date"),
            (1083, "time"),
            (1114, "timestamp"),
            (1184, "timestamptz"),
            (1186, "interval"),
            (1266, "timetz"),
            (1560, "bit"),
            (1562, "varbit"),
            (1700, "numeric"),
            (2950, "uuid"),
            (3220, "pg_lsn"),
            (3614, "tsvector"),
            (3615, "tsquery"),
            (3802, "jsonb"),
            (4072, "jsonpath"),
            (3904, "int4range"),
            (3906, "numrange"),
            (3908, "tsrange"),
            (3910, "tstzrange"),
            (3912, "daterange"),
            (3926, "int8range"),
            (5069, "xid8"),
        ] {
            assert_eq!(cache.get(oid).unwrap().name, name);
        }
    }

    #[test]
    fn user_types_resolve_through_domains() {
        let mut cache = TypeCache::new();
        cache.insert(TypeInfo::new(
            16400,
            "public",
            "price",
            TypeKind::Domain {
                base_oid: oid::NUMERIC,
            },
        ));
        cache.insert(TypeInfo::new(
            16401,
            "public",
            "positive_price",
            TypeKind::Domain { base_oid: 16400 },
        ));
        cache.insert(TypeInfo::new(
            16402,
            "public",
            "_positive_price",
            TypeKind::Array { element_oid: 16401 },
        ));
        cache.insert(TypeInfo::new(
            16403,
            "public",
            "prices",
            TypeKind::Domain { base_oid: 16402 },
        ));
        assert_eq!(cache.resolve(16401).unwrap().oid, oid::NUMERIC);
        assert_eq!(cache.resolve(oid::TEXT).unwrap().oid, oid::TEXT);
        assert_eq!(cache.element_type(16402).unwrap().oid, 16401);
        assert_eq!(cache.element_type(16403).unwrap().oid, 16401);
        assert!(cache.element_type(oid::INT4).is_none());
        // A domain over an unknown type, and a cycle, resolve to nothing.
        cache.insert(TypeInfo::new(
            16404,
            "public",
            "orphan",
            TypeKind::Domain { base_oid: 99999 },
        ));
        cache.insert(TypeInfo::new(
            16405,
            "public",
            "a",
            TypeKind::Domain { base_oid: 16406 },
        ));
        cache.insert(TypeInfo::new(
            16406,
            "public",
            "b",
            TypeKind::Domain { base_oid: 16405 },
        ));
        assert!(cache.resolve(16404).is_none());
        assert!(cache.resolve(16405).is_none());
        assert!(cache.remove(16406).is_some());
        assert!(cache.get(16406).is_none());
        let replaced = cache.insert(TypeInfo::new(16400, "public", "price", TypeKind::Base));
        assert!(replaced.is_some());
    }
}
