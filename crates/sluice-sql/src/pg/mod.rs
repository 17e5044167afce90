//! PostgreSQL statements through the real Postgres grammar (libpg_query), into
//! [`Facts`]. Lock modes follow the Postgres documentation ("Explicit Locking",
//! and each command's page).

use crate::facts::*;
use pg_query::protobuf::{
    self, AlterTableType as At, ConstrType as Ct, ObjectType as Ot, TransactionStmtKind as Tk,
};
use pg_query::NodeEnum as N;

mod nodes;
use nodes::*;

/// Functions whose result differs per row: as a column default they force a
/// table rewrite (a constant or a stable function such as `now()` does not).
pub const VOLATILE_FUNCTIONS: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
    "random_normal",
    "setseed",
    "gen_random_bytes",
];

/// Why a statement did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Postgres's message, such as `syntax error at or near "TABEL"`.
    pub message: String,
}

/// Parses one statement (as split by [`crate::split`]) into facts.
pub fn analyze(sql: &str) -> Result<Facts, ParseError> {
    let parsed =
        pg_query::parse(sql, pg_query::ParserOptions::DEFAULT).map_err(|e| ParseError {
            message: match e {
                pg_query::Error::Parse(m) => m,
                other => other.to_string(),
            },
        })?;
    let mut facts = Facts::default();
    for raw in &parsed.protobuf.stmts {
        if let Some(node) = raw.stmt.as_ref().and_then(|s| s.node.as_ref()) {
            statement(node, &mut facts);
        }
    }
    Ok(facts)
}

fn rv(r: &Option<protobuf::RangeVar>) -> ObjectName {
    match r {
        Some(r) => ObjectName {
            schema: (!r.schemaname.is_empty()).then(|| r.schemaname.clone()),
            name: r.relname.clone(),
        },
        None => ObjectName::bare(""),
    }
}

fn sval(n: &protobuf::Node) -> Option<&str> {
    match n.node.as_ref()? {
        N::String(s) => Some(&s.sval),
        _ => None,
    }
}

/// A dotted name from a list of String nodes (`schema.name`).
fn dotted(items: &[protobuf::Node]) -> ObjectName {
    let parts: Vec<&str> = items.iter().filter_map(sval).collect();
    match parts.as_slice() {
        [] => ObjectName::bare(""),
        [n] => ObjectName::bare(*n),
        [.., s, n] => ObjectName {
            schema: Some(s.to_string()),
            name: n.to_string(),
        },
    }
}

/// The name in a DROP/COMMENT object node.
fn object_name(n: &protobuf::Node) -> ObjectName {
    match n.node.as_ref() {
        Some(N::List(l)) => dotted(&l.items),
        Some(N::String(s)) => ObjectName::bare(s.sval.clone()),
        Some(N::TypeName(t)) => dotted(&t.names),
        Some(N::ObjectWithArgs(o)) => dotted(&o.objname),
        _ => ObjectName::bare("?"),
    }
}

fn object_kind(t: Ot) -> &'static str {
    match t {
        Ot::ObjectType => "TYPE",
        Ot::ObjectDomain => "DOMAIN",
        Ot::ObjectSequence => "SEQUENCE",
        Ot::ObjectView => "VIEW",
        Ot::ObjectMatview => "MATERIALIZED VIEW",
        Ot::ObjectFunction => "FUNCTION",
        Ot::ObjectProcedure => "PROCEDURE",
        Ot::ObjectRoutine => "ROUTINE",
        Ot::ObjectAggregate => "AGGREGATE",
        Ot::ObjectTrigger => "TRIGGER",
        Ot::ObjectExtension => "EXTENSION",
        Ot::ObjectRule => "RULE",
        Ot::ObjectForeignTable => "FOREIGN TABLE",
        Ot::ObjectCollation => "COLLATION",
        Ot::ObjectOperator => "OPERATOR",
        Ot::ObjectPublication => "PUBLICATION",
        Ot::ObjectSubscription => "SUBSCRIPTION",
        Ot::ObjectRole => "ROLE",
        Ot::ObjectStatisticExt => "STATISTICS",
        Ot::ObjectEventTrigger => "EVENT TRIGGER",
        Ot::ObjectTablespace => "TABLESPACE",
        _ => "OBJECT",
    }
}

fn default_kind(expr: Option<&protobuf::Node>) -> (DefaultKind, Vec<String>) {
    let Some(e) = expr else {
        return (DefaultKind::None, vec![]);
    };
    // `DEFAULT NULL` is no default at all.
    if matches!(e.node.as_ref(), Some(N::AConst(c)) if c.isnull) {
        return (DefaultKind::None, vec![]);
    }
    let calls = volatile_calls(e);
    if calls.known {
        (DefaultKind::Volatile, vec![])
    } else if !calls.unknown.is_empty() {
        (DefaultKind::Volatile, calls.unknown)
    } else {
        (DefaultKind::Constant, vec![])
    }
}

/// Built-in functions that are not volatile (stable or immutable), common in
/// column defaults. A default calling any other function (a user-defined
/// one, whose `CREATE FUNCTION` is `VOLATILE` unless it says otherwise, or
/// one sluice does not know) counts as volatile.
pub const NON_VOLATILE_FUNCTIONS: &[&str] = &[
    "now",
    "statement_timestamp",
    "transaction_timestamp",
    "current_setting",
    "current_schema",
    "current_user",
    "session_user",
    "current_database",
    "lower",
    "upper",
    "length",
    "concat",
    "concat_ws",
    "to_char",
    "to_timestamp",
    "to_date",
    "to_number",
    "date_trunc",
    "date_part",
    "extract",
    "make_interval",
    "make_date",
    "make_timestamp",
    "make_timestamptz",
    "timezone",
    "abs",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "trunc",
    "replace",
    "substring",
    "substr",
    "btrim",
    "ltrim",
    "rtrim",
    "trim",
    "left",
    "right",
    "md5",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "array_fill",
    "to_json",
    "to_jsonb",
    "jsonb_object",
    "json_object",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "pg_catalog",
    "int4",
    "int8",
    "text",
    "numrange",
    "tstzrange",
    "daterange",
    "int4range",
    "int8range",
    "tsrange",
    "array_length",
    "cardinality",
    "gen_random_bytes_stable",
    "encode",
    "decode",
    "format",
    "quote_ident",
    "quote_literal",
    "uuid_nil",
    "uuid_ns_url",
    "inet",
    "cidr",
    "point",
    "interval",
    "date",
    "timestamp",
    "timestamptz",
];

/// The volatile calls of an expression: whether it calls a known volatile
/// function anywhere inside it, and the functions it calls that are neither
/// known volatile nor known stable or immutable (user-defined or unknown:
/// volatile unless their `CREATE FUNCTION` says otherwise).
struct Calls {
    known: bool,
    unknown: Vec<String>,
}

/// Walks the expression's serialised form, which reaches every node kind
/// (defaults are short and rare, so the cost does not matter).
fn volatile_calls(n: &protobuf::Node) -> Calls {
    fn walk(v: &serde_json::Value, out: &mut Calls) {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(fc) = o.get("FuncCall") {
                    let name = fc["funcname"]
                        .as_array()
                        .and_then(|a| a.last())
                        .and_then(|n| n["node"]["String"]["sval"].as_str());
                    match name {
                        Some(n) if VOLATILE_FUNCTIONS.contains(&n) => out.known = true,
                        Some(n)
                            if !NON_VOLATILE_FUNCTIONS.contains(&n)
                                && !out.unknown.iter().any(|u| u == n) =>
                        {
                            out.unknown.push(n.to_string());
                        }
                        _ => {}
                    }
                }
                o.values().for_each(|x| walk(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Calls {
        known: false,
        unknown: vec![],
    };
    match serde_json::to_value(n) {
        Ok(v) => walk(&v, &mut out),
        // Unreadable: volatile, to be safe.
        Err(_) => out.known = true,
    }
    out
}

/// A column's type as written: the type's last name, lower-cased, with its
/// modifiers (`int4`, `varchar(255)`, `timestamp`, `serial`, `bpchar(2)`).
fn type_of(c: &protobuf::ColumnDef) -> String {
    let Some(t) = c.type_name.as_ref() else {
        return String::new();
    };
    let name = t
        .names
        .last()
        .and_then(sval)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mods: Vec<String> = t
        .typmods
        .iter()
        .filter_map(|m| match m.node.as_ref() {
            Some(N::AConst(a)) => match a.val.as_ref() {
                Some(protobuf::a_const::Val::Ival(i)) => Some(i.ival.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let array = if t.array_bounds.is_empty() { "" } else { "[]" };
    if mods.is_empty() {
        format!("{name}{array}")
    } else {
        format!("{name}({}){array}", mods.join(","))
    }
}

fn column_names(keys: &[protobuf::Node]) -> Vec<String> {
    keys.iter()
        .filter_map(|k| sval(k).map(str::to_string))
        .collect()
}

struct ColumnInfo {
    not_null: bool,
    default: DefaultKind,
    /// See [`Action::AddColumn`]'s `default_functions`.
    default_functions: Vec<String>,
    generated: bool,
    primary_or_unique: bool,
    /// PRIMARY KEY or UNIQUE written on the column.
    unique_kind: Option<ConstraintKind>,
    references: Option<ObjectName>,
}

fn column_info(c: &protobuf::ColumnDef) -> ColumnInfo {
    let type_name = c
        .type_name
        .as_ref()
        .and_then(|t| t.names.last())
        .and_then(sval)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let serial = matches!(
        type_name.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    );
    let mut info = ColumnInfo {
        not_null: c.is_not_null || serial,
        // A serial's default is nextval(): computed per row (set below).
        default: DefaultKind::None,
        default_functions: vec![],
        generated: !c.identity.is_empty() || !c.generated.is_empty(),
        primary_or_unique: false,
        unique_kind: None,
        references: None,
    };
    if serial {
        info.default = DefaultKind::Volatile;
    } else {
        (info.default, info.default_functions) = default_kind(c.raw_default.as_deref());
    }
    for con in &c.constraints {
        if let Some(N::Constraint(k)) = con.node.as_ref() {
            match k.contype() {
                Ct::ConstrNotnull => info.not_null = true,
                Ct::ConstrPrimary => {
                    info.not_null = true;
                    info.primary_or_unique = true;
                    info.unique_kind = Some(ConstraintKind::PrimaryKey);
                }
                Ct::ConstrUnique => {
                    info.primary_or_unique = true;
                    info.unique_kind.get_or_insert(ConstraintKind::Unique);
                }
                Ct::ConstrDefault => {
                    (info.default, info.default_functions) = default_kind(k.raw_expr.as_deref())
                }
                // An identity column is filled from its sequence, row by row.
                Ct::ConstrIdentity => {
                    info.generated = true;
                    info.default = DefaultKind::Volatile;
                    info.default_functions.clear();
                }
                // STORED (the only kind before Postgres 18): computed per row.
                Ct::ConstrGenerated => {
                    info.generated = true;
                    if k.generated_kind != "v" {
                        info.default = DefaultKind::Generated;
                        info.default_functions.clear();
                    }
                }
                Ct::ConstrForeign => info.references = Some(rv(&k.pktable)),
                _ => {}
            }
        }
    }
    info
}

fn constraint_kind(t: Ct) -> ConstraintKind {
    match t {
        Ct::ConstrPrimary => ConstraintKind::PrimaryKey,
        Ct::ConstrUnique => ConstraintKind::Unique,
        Ct::ConstrForeign => ConstraintKind::ForeignKey,
        Ct::ConstrCheck => ConstraintKind::Check,
        Ct::ConstrExclusion => ConstraintKind::Exclusion,
        _ => ConstraintKind::Other,
    }
}

fn statement(node: &N, f: &mut Facts) {
    match node {
        N::CreateStmt(s) => create_stmt(s, f),
        N::CreateTableAsStmt(s) => create_table_as_stmt(s, f),
        N::IndexStmt(s) => index_stmt(s, f),
        N::DropStmt(s) => drop(s, f),
        N::DropdbStmt(s) => dropdb_stmt(s, f),
        N::TruncateStmt(s) => truncate_stmt(s, f),
        N::DeleteStmt(s) => delete_stmt(s, f),
        N::UpdateStmt(s) => update_stmt(s, f),
        N::InsertStmt(s) => insert_stmt(s, f),
        N::CopyStmt(s) => copy_stmt(s, f),
        N::AlterTableStmt(s) => alter_table(s, f),
        N::RenameStmt(s) => rename_stmt(s, f),
        N::ViewStmt(s) => view_stmt(s, f),
        N::RefreshMatViewStmt(s) => refresh_mat_view_stmt(s, f),
        N::CreateFunctionStmt(s) => create_function_stmt(s, f),
        N::CreateTrigStmt(s) => create_trig_stmt(s, f),
        N::CreateEnumStmt(s) => create_object(f, "TYPE", dotted(&s.type_name)),
        N::CompositeTypeStmt(s) => create_object(f, "TYPE", rv(&s.typevar)),
        N::CreateRangeStmt(s) => create_object(f, "TYPE", dotted(&s.type_name)),
        N::CreateDomainStmt(s) => create_object(f, "DOMAIN", dotted(&s.domainname)),
        N::CreateSeqStmt(s) => create_object(f, "SEQUENCE", rv(&s.sequence)),
        N::CreateSchemaStmt(s) => create_schema_stmt(s, f),
        N::CreateExtensionStmt(s) => create_extension_stmt(s, f),
        N::CreatePolicyStmt(s) => create_policy_stmt(s, f),
        N::AlterPolicyStmt(s) => alter_policy_stmt(s, f),
        N::AlterEnumStmt(s) => alter_enum_stmt(s, f),
        N::CommentStmt(_) => metadata(f, "COMMENT"),
        N::GrantStmt(s) => metadata(f, if s.is_grant { "GRANT" } else { "REVOKE" }),
        N::GrantRoleStmt(_) => metadata(f, "GRANT"),
        N::AlterDefaultPrivilegesStmt(_) => metadata(f, "ALTER DEFAULT PRIVILEGES"),
        N::VacuumStmt(s) => vacuum_stmt(s, f),
        N::ClusterStmt(s) => cluster_stmt(s, f),
        N::ReindexStmt(s) => reindex_stmt(s, f),
        N::TransactionStmt(s) => transaction_stmt(s, f),
        N::VariableSetStmt(s) => variable_set_stmt(s, f),
        N::DoStmt(_) => other(f, "DO"),
        N::SelectStmt(_) => other(f, "SELECT"),
        N::CreatedbStmt(_) => {
            f.no_transaction = true;
            other(f, "CREATE DATABASE")
        }
        N::AlterSystemStmt(_) => {
            f.no_transaction = true;
            other(f, "ALTER SYSTEM")
        }
        N::AlterObjectSchemaStmt(s) => alter_object_schema_stmt(s, f),
        other_node => {
            let name = format!("{:?}", other_node);
            let kind = name.split('(').next().unwrap_or("Other").to_string();
            other(f, &kind)
        }
    }
}

fn create_object(f: &mut Facts, kind: &str, object: ObjectName) {
    f.kind = format!("CREATE {kind}");
    f.push(Action::CreateObject {
        kind: kind.into(),
        object,
        table: None,
        volatile: None,
    });
}

fn metadata(f: &mut Facts, kind: &str) {
    f.kind = kind.into();
    f.push(Action::Metadata { kind: kind.into() });
}

fn other(f: &mut Facts, kind: &str) {
    f.kind = kind.into();
    f.push(Action::Other { kind: kind.into() });
}

fn drop(s: &protobuf::DropStmt, f: &mut Facts) {
    use LockMode::*;
    let t = s.remove_type();
    f.no_transaction |= s.concurrent;
    for o in &s.objects {
        let name = object_name(o);
        match t {
            Ot::ObjectTable | Ot::ObjectForeignTable => {
                f.kind = "DROP TABLE".into();
                f.lock(&name, AccessExclusive);
                f.push(Action::DropTable { table: name });
            }
            Ot::ObjectIndex => {
                f.kind = "DROP INDEX".into();
                f.lock(
                    &name,
                    if s.concurrent {
                        ShareUpdateExclusive
                    } else {
                        AccessExclusive
                    },
                );
                f.push(Action::DropIndex {
                    index: name,
                    concurrent: s.concurrent,
                    if_exists: s.missing_ok,
                });
            }
            Ot::ObjectSchema => {
                f.kind = "DROP SCHEMA".into();
                f.push(Action::DropSchema { schema: name.name });
            }
            Ot::ObjectPolicy | Ot::ObjectTrigger | Ot::ObjectRule => {
                // The last element is the policy/trigger; the rest name its table.
                let (table, obj) = match o.node.as_ref() {
                    Some(N::List(l)) if l.items.len() >= 2 => {
                        let n = l.items.len();
                        (
                            dotted(&l.items[..n - 1]),
                            l.items.get(n - 1).and_then(sval).unwrap_or("").to_string(),
                        )
                    }
                    _ => (ObjectName::bare(""), name.name.clone()),
                };
                f.lock(&table, AccessExclusive);
                if t == Ot::ObjectPolicy {
                    f.kind = "DROP POLICY".into();
                    f.push(Action::DropPolicy { policy: obj, table });
                } else {
                    f.kind = format!("DROP {}", object_kind(t));
                    f.push(Action::DropObject {
                        kind: object_kind(t).into(),
                        object: ObjectName {
                            schema: table.schema.clone(),
                            name: format!("{obj} ON {}", table.name),
                        },
                    });
                }
            }
            Ot::ObjectMatview | Ot::ObjectView => {
                f.kind = format!("DROP {}", object_kind(t));
                f.lock(&name, AccessExclusive);
                f.push(Action::DropObject {
                    kind: object_kind(t).into(),
                    object: name,
                });
            }
            _ => {
                f.kind = format!("DROP {}", object_kind(t));
                f.push(Action::DropObject {
                    kind: object_kind(t).into(),
                    object: name,
                });
            }
        }
    }
}

fn alter_table(s: &protobuf::AlterTableStmt, f: &mut Facts) {
    use LockMode::*;
    let table = rv(&s.relation);
    f.kind = match s.objtype() {
        Ot::ObjectIndex => "ALTER INDEX",
        Ot::ObjectSequence => "ALTER SEQUENCE",
        Ot::ObjectView => "ALTER VIEW",
        Ot::ObjectMatview => "ALTER MATERIALIZED VIEW",
        _ => "ALTER TABLE",
    }
    .into();
    for c in &s.cmds {
        let Some(N::AlterTableCmd(cmd)) = c.node.as_ref() else {
            continue;
        };
        let column = cmd.name.clone();
        let mut mode = AccessExclusive;
        let action = match cmd.subtype() {
            At::AtAddColumn => add_column(cmd, &table, f),
            At::AtDropColumn => Action::DropColumn {
                table: table.clone(),
                column,
            },
            At::AtAlterColumnType => Action::AlterColumnType {
                table: table.clone(),
                column,
            },
            At::AtSetNotNull => Action::SetNotNull {
                table: table.clone(),
                column,
            },
            At::AtDropNotNull => Action::DropNotNull {
                table: table.clone(),
                column,
            },
            At::AtColumnDefault if cmd.def.is_none() => Action::DropDefault {
                table: table.clone(),
                column,
            },
            At::AtAddConstraint => {
                let (action, fk) = add_constraint(cmd, &table, f);
                if fk {
                    mode = ShareRowExclusive;
                }
                action
            }
            At::AtDropConstraint => Action::DropConstraint {
                table: table.clone(),
                name: cmd.name.clone(),
            },
            At::AtValidateConstraint => {
                mode = ShareUpdateExclusive;
                Action::ValidateConstraint {
                    table: table.clone(),
                    name: cmd.name.clone(),
                }
            }
            At::AtEnableRowSecurity
            | At::AtDisableRowSecurity
            | At::AtForceRowSecurity
            | At::AtNoForceRowSecurity => {
                let change = match cmd.subtype() {
                    At::AtEnableRowSecurity => "enable",
                    At::AtDisableRowSecurity => "disable",
                    At::AtForceRowSecurity => "force",
                    _ => "no-force",
                };
                Action::RowSecurity {
                    table: table.clone(),
                    change: change.into(),
                }
            }
            At::AtSetTableSpace => Action::SetTablespace {
                relation: table.clone(),
            },
            At::AtSetStatistics
            | At::AtClusterOn
            | At::AtDropCluster
            | At::AtSetRelOptions
            | At::AtResetRelOptions
            | At::AtReplaceRelOptions => {
                mode = ShareUpdateExclusive;
                other_cmd(&table, &format!("{:?}", cmd.subtype()))
            }
            At::AtAttachPartition => {
                mode = ShareUpdateExclusive;
                other_cmd(&table, "AT_AttachPartition")
            }
            At::AtDetachPartition => {
                let concurrent = matches!(
                    cmd.def.as_ref().and_then(|d| d.node.as_ref()),
                    Some(N::PartitionCmd(p)) if p.concurrent
                );
                if concurrent {
                    mode = ShareUpdateExclusive;
                    f.no_transaction = true;
                }
                other_cmd(&table, "AT_DetachPartition")
            }
            At::AtEnableTrig
            | At::AtEnableAlwaysTrig
            | At::AtEnableReplicaTrig
            | At::AtDisableTrig
            | At::AtEnableTrigAll
            | At::AtDisableTrigAll
            | At::AtEnableTrigUser
            | At::AtDisableTrigUser => {
                mode = ShareRowExclusive;
                other_cmd(&table, &format!("{:?}", cmd.subtype()))
            }
            other => other_cmd(&table, &format!("{other:?}")),
        };
        f.lock(&table, mode);
        f.push(action);
    }
}

fn other_cmd(table: &ObjectName, subcommand: &str) -> Action {
    Action::AlterTableOther {
        table: table.clone(),
        subcommand: subcommand.into(),
    }
}

/// `ALTER TABLE ... ADD COLUMN`: the column, and the lock on a referenced table.
fn add_column(cmd: &protobuf::AlterTableCmd, table: &ObjectName, f: &mut Facts) -> Action {
    use LockMode::*;
    let def = cmd.def.as_ref().and_then(|d| match d.node.as_ref() {
        Some(N::ColumnDef(c)) => Some(c),
        _ => None,
    });
    match def {
        Some(c) => {
            let info = column_info(c);
            if let Some(to) = &info.references {
                f.lock(to, ShareRowExclusive);
            }
            // UNIQUE / PRIMARY KEY on the column builds its index inside the
            // ALTER TABLE; REFERENCES with a non-null default validates every
            // row: both are constraints added with the column.
            if let Some(kind) = info.unique_kind {
                f.push(Action::AddConstraint {
                    table: table.clone(),
                    name: None,
                    kind,
                    not_valid: false,
                    using_index: false,
                    columns: vec![c.colname.clone()],
                    references: None,
                });
            }
            if let (
                Some(to),
                DefaultKind::Constant | DefaultKind::Volatile | DefaultKind::Generated,
            ) = (&info.references, info.default)
            {
                f.push(Action::AddConstraint {
                    table: table.clone(),
                    name: None,
                    kind: ConstraintKind::ForeignKey,
                    not_valid: false,
                    using_index: false,
                    columns: vec![c.colname.clone()],
                    references: Some(to.clone()),
                });
            }
            Action::AddColumn {
                table: table.clone(),
                column: c.colname.clone(),
                not_null: info.not_null,
                default: info.default,
                generated: info.generated,
                references: info.references,
                data_type: type_of(c),
                default_functions: info.default_functions,
            }
        }
        None => other_cmd(table, "AT_AddColumn"),
    }
}

/// The column of a CHECK expression that is exactly `col IS NOT NULL`.
fn checks_not_null(e: Option<&protobuf::Node>) -> Option<String> {
    let Some(N::NullTest(t)) = e.and_then(|e| e.node.as_ref()) else {
        return None;
    };
    if t.nulltesttype() != protobuf::NullTestType::IsNotNull {
        return None;
    }
    match t.arg.as_deref().and_then(|a| a.node.as_ref()) {
        Some(N::ColumnRef(c)) if c.fields.len() == 1 => sval(&c.fields[0]).map(str::to_string),
        _ => None,
    }
}

/// `ALTER TABLE ... ADD CONSTRAINT`: the constraint, and whether it is a
/// foreign key (which locks both tables SHARE ROW EXCLUSIVE).
fn add_constraint(
    cmd: &protobuf::AlterTableCmd,
    table: &ObjectName,
    f: &mut Facts,
) -> (Action, bool) {
    use LockMode::*;
    let k = cmd.def.as_ref().and_then(|d| match d.node.as_ref() {
        Some(N::Constraint(k)) => Some(k),
        _ => None,
    });
    let Some(k) = k else {
        return (other_cmd(table, "AT_AddConstraint"), false);
    };
    let kind = constraint_kind(k.contype());
    let references = (kind == ConstraintKind::ForeignKey).then(|| rv(&k.pktable));
    if let Some(to) = &references {
        f.lock(to, ShareRowExclusive);
    }
    let columns = match kind {
        ConstraintKind::ForeignKey => column_names(&k.fk_attrs),
        ConstraintKind::Check => checks_not_null(k.raw_expr.as_deref()).into_iter().collect(),
        _ => column_names(&k.keys),
    };
    let fk = references.is_some();
    let action = Action::AddConstraint {
        table: table.clone(),
        name: (!k.conname.is_empty()).then(|| k.conname.clone()),
        kind,
        not_valid: k.skip_validation,
        using_index: !k.indexname.is_empty(),
        columns,
        references,
    };
    (action, fk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(sql: &str) -> Facts {
        analyze(sql).unwrap_or_else(|e| panic!("{sql}: {}", e.message))
    }

    #[test]
    fn alter_table_add_column_facts_and_lock() {
        let f =
            facts("ALTER TABLE Public.Users ADD COLUMN age int NOT NULL DEFAULT gen_random_uuid()");
        assert_eq!(f.kind, "ALTER TABLE");
        assert_eq!(
            f.locks,
            vec![(
                ObjectName {
                    schema: Some("public".into()),
                    name: "users".into()
                },
                LockMode::AccessExclusive
            )]
        );
        match &f.actions[0] {
            Action::AddColumn {
                column,
                not_null,
                default,
                ..
            } => {
                assert_eq!(column, "age");
                assert!(*not_null);
                assert_eq!(*default, DefaultKind::Volatile);
            }
            a => panic!("{a:?}"),
        }
        let f = facts("ALTER TABLE \"Users\" ADD COLUMN created_at timestamptz DEFAULT now()");
        assert_eq!(
            f.locks[0].0.name, "Users",
            "quoted identifiers keep their case"
        );
        assert!(matches!(
            f.actions[0],
            Action::AddColumn {
                default: DefaultKind::Constant,
                ..
            }
        ));
    }

    #[test]
    fn foreign_keys_lock_both_tables() {
        let f = facts("ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID");
        assert_eq!(f.locks.len(), 2);
        assert!(f
            .locks
            .iter()
            .all(|(_, m)| *m == LockMode::ShareRowExclusive));
        assert!(matches!(
            &f.actions[0],
            Action::AddConstraint {
                kind: ConstraintKind::ForeignKey,
                not_valid: true,
                ..
            }
        ));
    }

    #[test]
    fn indexes_and_concurrency() {
        let f = facts("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a, lower(b))");
        assert!(f.no_transaction);
        assert_eq!(f.locks[0].1, LockMode::ShareUpdateExclusive);
        assert!(
            matches!(&f.actions[0], Action::CreateIndex { columns, concurrent: true, .. } if columns == &vec!["a".to_string()])
        );
        let f = facts("DROP INDEX CONCURRENTLY IF EXISTS s.i");
        assert!(matches!(
            &f.actions[0],
            Action::DropIndex {
                concurrent: true,
                ..
            }
        ));
        let f = facts("REINDEX INDEX CONCURRENTLY i");
        assert!(matches!(
            &f.actions[0],
            Action::Reindex {
                concurrent: true,
                ..
            }
        ));
    }

    #[test]
    fn function_bodies_are_not_statements() {
        let f = facts("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE users; END $$");
        assert_eq!(f.actions.len(), 1);
        assert!(matches!(&f.actions[0], Action::CreateObject { kind, .. } if kind == "FUNCTION"));
    }

    #[test]
    fn drops_deletes_and_rls() {
        assert!(matches!(
            &facts("DROP TABLE a, b CASCADE").actions[..],
            [Action::DropTable { .. }, Action::DropTable { .. }]
        ));
        assert!(matches!(
            &facts("DELETE FROM a").actions[0],
            Action::Delete {
                has_where: false,
                ..
            }
        ));
        assert!(matches!(
            &facts("UPDATE a SET x = 1 WHERE id = 2").actions[0],
            Action::Update {
                has_where: true,
                ..
            }
        ));
        assert!(
            matches!(&facts("DROP POLICY p ON s.t").actions[0], Action::DropPolicy { policy, table } if policy == "p" && table.name == "t")
        );
        assert!(
            matches!(&facts("ALTER TABLE t DISABLE ROW LEVEL SECURITY").actions[0], Action::RowSecurity { change, .. } if change == "disable")
        );
        assert!(
            matches!(&facts("DROP TYPE mood").actions[0], Action::DropObject { kind, .. } if kind == "TYPE")
        );
        assert!(matches!(
            &facts("VACUUM (FULL, ANALYZE) t").actions[0],
            Action::Vacuum { full: true, .. }
        ));
    }

    #[test]
    fn syntax_errors_carry_postgres_message() {
        let e = analyze("CREATE TABEL t (id int)").unwrap_err();
        assert!(e.message.contains("syntax error"), "{}", e.message);
    }
}
