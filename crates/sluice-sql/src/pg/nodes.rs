//! One function per statement node kind: what the statement does, in facts,
//! and the locks it takes.

use super::*;
use LockMode::*;

/// `CreateStmt`.
pub(super) fn create_stmt(s: &protobuf::CreateStmt, f: &mut Facts) {
    f.kind = "CREATE TABLE".into();
    let table = rv(&s.relation);
    let mut columns = Vec::new();
    let mut foreign_keys = Vec::new();
    let mut indexed = Vec::new();
    let mut constraint_names = Vec::new();
    let mut column_types = Vec::new();
    for e in s.table_elts.iter().chain(s.constraints.iter()) {
        match e.node.as_ref() {
            Some(N::ColumnDef(c)) => {
                columns.push(c.colname.clone());
                column_types.push(type_of(c));
                for k in &c.constraints {
                    if let Some(N::Constraint(k)) = k.node.as_ref() {
                        if !k.conname.is_empty() {
                            constraint_names.push(k.conname.clone());
                        }
                    }
                }
                let info = column_info(c);
                if info.primary_or_unique {
                    indexed.push(vec![c.colname.clone()]);
                }
                if let Some(to) = info.references {
                    f.lock(&to, ShareRowExclusive);
                    foreign_keys.push(ForeignKey {
                        columns: vec![c.colname.clone()],
                        references: to,
                    });
                }
            }
            Some(N::Constraint(k)) => {
                if !k.conname.is_empty() {
                    constraint_names.push(k.conname.clone());
                }
                match k.contype() {
                    Ct::ConstrForeign => {
                        let to = rv(&k.pktable);
                        f.lock(&to, ShareRowExclusive);
                        foreign_keys.push(ForeignKey {
                            columns: column_names(&k.fk_attrs),
                            references: to,
                        });
                    }
                    Ct::ConstrPrimary | Ct::ConstrUnique => indexed.push(column_names(&k.keys)),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let partitioned = s.partspec.is_some() || s.partbound.is_some();
    if s.partbound.is_some() {
        for parent in &s.inh_relations {
            if let Some(N::RangeVar(p)) = parent.node.as_ref() {
                f.lock(&rv(&Some(p.clone())), AccessExclusive);
            }
        }
    }
    f.push(Action::CreateTable {
        table,
        columns,
        foreign_keys,
        indexed,
        partitioned,
        constraint_names,
        column_types,
        if_not_exists: s.if_not_exists,
    });
}

/// `CreateTableAsStmt`.
pub(super) fn create_table_as_stmt(s: &protobuf::CreateTableAsStmt, f: &mut Facts) {
    let into = s.into.as_ref();
    let object = rv(&into.and_then(|i| i.rel.clone()));
    if s.objtype() == Ot::ObjectMatview {
        f.kind = "CREATE MATERIALIZED VIEW".into();
        f.push(Action::CreateObject {
            kind: "MATERIALIZED VIEW".into(),
            object,
            table: None,
            volatile: None,
        });
    } else {
        f.kind = "CREATE TABLE AS".into();
        f.push(Action::CreateTable {
            table: object,
            columns: vec![],
            foreign_keys: vec![],
            indexed: vec![],
            partitioned: false,
            constraint_names: vec![],
            column_types: vec![],
            if_not_exists: s.if_not_exists,
        });
    }
}

/// `IndexStmt`.
pub(super) fn index_stmt(s: &protobuf::IndexStmt, f: &mut Facts) {
    f.kind = "CREATE INDEX".into();
    let table = rv(&s.relation);
    f.lock(
        &table,
        if s.concurrent {
            ShareUpdateExclusive
        } else {
            Share
        },
    );
    f.no_transaction |= s.concurrent;
    let columns = s
        .index_params
        .iter()
        .map_while(|p| match p.node.as_ref() {
            Some(N::IndexElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
            _ => None,
        })
        .collect();
    f.push(Action::CreateIndex {
        index: (!s.idxname.is_empty()).then(|| s.idxname.clone()),
        table,
        columns,
        concurrent: s.concurrent,
        unique: s.unique,
        if_not_exists: s.if_not_exists,
    });
}

/// `DropdbStmt`.
pub(super) fn dropdb_stmt(s: &protobuf::DropdbStmt, f: &mut Facts) {
    f.kind = "DROP DATABASE".into();
    f.no_transaction = true;
    f.push(Action::DropDatabase {
        database: s.dbname.clone(),
    });
}

/// `TruncateStmt`.
pub(super) fn truncate_stmt(s: &protobuf::TruncateStmt, f: &mut Facts) {
    f.kind = "TRUNCATE".into();
    for r in &s.relations {
        if let Some(N::RangeVar(r)) = r.node.as_ref() {
            let table = rv(&Some(r.clone()));
            f.lock(&table, AccessExclusive);
            f.push(Action::Truncate { table });
        }
    }
}

/// `DeleteStmt`.
pub(super) fn delete_stmt(s: &protobuf::DeleteStmt, f: &mut Facts) {
    f.kind = "DELETE".into();
    let table = rv(&s.relation);
    f.lock(&table, RowExclusive);
    f.push(Action::Delete {
        table,
        has_where: s.where_clause.is_some(),
    });
}

/// `UpdateStmt`.
pub(super) fn update_stmt(s: &protobuf::UpdateStmt, f: &mut Facts) {
    f.kind = "UPDATE".into();
    let table = rv(&s.relation);
    f.lock(&table, RowExclusive);
    f.push(Action::Update {
        table,
        has_where: s.where_clause.is_some(),
    });
}

/// `InsertStmt`.
pub(super) fn insert_stmt(s: &protobuf::InsertStmt, f: &mut Facts) {
    f.kind = "INSERT".into();
    let table = rv(&s.relation);
    f.lock(&table, RowExclusive);
    f.push(Action::Insert { table });
}

/// `CopyStmt`.
pub(super) fn copy_stmt(s: &protobuf::CopyStmt, f: &mut Facts) {
    f.kind = "COPY".into();
    let table = rv(&s.relation);
    if s.is_from {
        f.lock(&table, RowExclusive);
        f.push(Action::Insert { table });
    } else {
        f.push(Action::Other {
            kind: "COPY".into(),
        });
    }
}

/// `RenameStmt`.
pub(super) fn rename_stmt(s: &protobuf::RenameStmt, f: &mut Facts) {
    f.kind = "ALTER ... RENAME".into();
    let table = rv(&s.relation);
    match s.rename_type() {
        Ot::ObjectTable | Ot::ObjectForeignTable => {
            f.lock(&table, AccessExclusive);
            f.push(Action::RenameTable {
                table,
                new_name: s.newname.clone(),
            });
        }
        Ot::ObjectColumn | Ot::ObjectAttribute => {
            f.lock(&table, AccessExclusive);
            f.push(Action::RenameColumn {
                table,
                column: s.subname.clone(),
                new_name: s.newname.clone(),
            });
        }
        Ot::ObjectIndex | Ot::ObjectTabconstraint | Ot::ObjectSequence => {
            let kind = match s.rename_type() {
                Ot::ObjectIndex => "INDEX",
                Ot::ObjectSequence => "SEQUENCE",
                _ => "CONSTRAINT",
            };
            f.lock(&table, AccessExclusive);
            f.push(Action::RenameObject {
                kind: kind.into(),
                object: if kind == "CONSTRAINT" {
                    format!("{table}.{}", s.subname)
                } else {
                    table.to_string()
                },
                new_name: s.newname.clone(),
            });
        }
        other => {
            if !table.name.is_empty() {
                f.lock(&table, AccessExclusive);
            }
            f.push(Action::Other {
                kind: format!("RENAME {}", object_kind(other)),
            });
        }
    }
}

/// `ViewStmt`.
pub(super) fn view_stmt(s: &protobuf::ViewStmt, f: &mut Facts) {
    f.kind = "CREATE VIEW".into();
    f.push(Action::CreateObject {
        kind: "VIEW".into(),
        object: rv(&s.view),
        table: None,
        volatile: None,
    });
}

/// `RefreshMatViewStmt`.
pub(super) fn refresh_mat_view_stmt(s: &protobuf::RefreshMatViewStmt, f: &mut Facts) {
    f.kind = "REFRESH MATERIALIZED VIEW".into();
    let view = rv(&s.relation);
    f.lock(
        &view,
        if s.concurrent {
            Exclusive
        } else {
            AccessExclusive
        },
    );
    f.push(Action::Other {
        kind: "REFRESH MATERIALIZED VIEW".into(),
    });
}

/// `CreateFunctionStmt`.
pub(super) fn create_function_stmt(s: &protobuf::CreateFunctionStmt, f: &mut Facts) {
    f.kind = if s.is_procedure {
        "CREATE PROCEDURE"
    } else {
        "CREATE FUNCTION"
    }
    .into();
    f.push(Action::CreateObject {
        kind: if s.is_procedure {
            "PROCEDURE"
        } else {
            "FUNCTION"
        }
        .into(),
        object: dotted(&s.funcname),
        table: None,
        volatile: (!s.is_procedure).then(|| function_volatile(&s.options)),
    });
}

/// Whether a function's options leave it VOLATILE (the default), rather
/// than declare it `IMMUTABLE` or `STABLE`.
fn function_volatile(options: &[protobuf::Node]) -> bool {
    !options.iter().any(|o| match o.node.as_ref() {
        Some(N::DefElem(d)) if d.defname == "volatility" => {
            d.arg.as_deref().and_then(sval).is_some_and(|v| {
                v.eq_ignore_ascii_case("immutable") || v.eq_ignore_ascii_case("stable")
            })
        }
        _ => false,
    })
}

/// `CreateTrigStmt`.
pub(super) fn create_trig_stmt(s: &protobuf::CreateTrigStmt, f: &mut Facts) {
    f.kind = "CREATE TRIGGER".into();
    let table = rv(&s.relation);
    f.lock(&table, ShareRowExclusive);
    f.push(Action::CreateObject {
        kind: "TRIGGER".into(),
        object: ObjectName::bare(s.trigname.clone()),
        table: Some(table),
        volatile: None,
    });
}

/// `CreateSchemaStmt`.
pub(super) fn create_schema_stmt(s: &protobuf::CreateSchemaStmt, f: &mut Facts) {
    create_object(f, "SCHEMA", ObjectName::bare(s.schemaname.clone()))
}

/// `CreateExtensionStmt`.
pub(super) fn create_extension_stmt(s: &protobuf::CreateExtensionStmt, f: &mut Facts) {
    create_object(f, "EXTENSION", ObjectName::bare(s.extname.clone()))
}

/// `CreatePolicyStmt`.
pub(super) fn create_policy_stmt(s: &protobuf::CreatePolicyStmt, f: &mut Facts) {
    f.kind = "CREATE POLICY".into();
    let table = rv(&s.table);
    f.lock(&table, AccessExclusive);
    f.push(Action::CreatePolicy {
        policy: s.policy_name.clone(),
        table,
    });
}

/// `AlterPolicyStmt`.
pub(super) fn alter_policy_stmt(s: &protobuf::AlterPolicyStmt, f: &mut Facts) {
    f.kind = "ALTER POLICY".into();
    let table = rv(&s.table);
    f.lock(&table, AccessExclusive);
    f.push(Action::AlterPolicy {
        policy: s.policy_name.clone(),
        table,
    });
}

/// `AlterEnumStmt`.
pub(super) fn alter_enum_stmt(s: &protobuf::AlterEnumStmt, f: &mut Facts) {
    f.kind = "ALTER TYPE".into();
    let type_name = dotted(&s.type_name);
    if s.old_val.is_empty() {
        f.push(Action::AddEnumValue {
            type_name,
            value: s.new_val.clone(),
            positioned: !s.new_val_neighbor.is_empty(),
        });
    } else {
        f.push(Action::RenameObject {
            kind: "ENUM VALUE".into(),
            object: format!("{type_name}.{}", s.old_val),
            new_name: s.new_val.clone(),
        });
    }
}

/// `VacuumStmt`.
/// Whether a boolean option (`FULL`, `CONCURRENTLY`) named `name` is on:
/// written alone, or with a true value (`true`, `on`, `1`, `yes`); `FULL
/// false`, `CONCURRENTLY off`, `FULL 0` are off.
fn option_on(options: &[protobuf::Node], name: &str) -> bool {
    options.iter().any(|o| match o.node.as_ref() {
        Some(N::DefElem(d)) if d.defname == name => {
            match d.arg.as_ref().and_then(|a| a.node.as_ref()) {
                None => true,
                Some(N::String(v)) => !matches!(
                    v.sval.to_ascii_lowercase().as_str(),
                    "false" | "off" | "0" | "no"
                ),
                Some(N::Integer(i)) => i.ival != 0,
                Some(N::Boolean(b)) => b.boolval,
                Some(_) => true,
            }
        }
        _ => false,
    })
}

pub(super) fn vacuum_stmt(s: &protobuf::VacuumStmt, f: &mut Facts) {
    let full = option_on(&s.options, "full");
    f.kind = if s.is_vacuumcmd { "VACUUM" } else { "ANALYZE" }.into();
    f.no_transaction |= s.is_vacuumcmd;
    let tables: Vec<ObjectName> = s
        .rels
        .iter()
        .filter_map(|r| match r.node.as_ref() {
            Some(N::VacuumRelation(v)) => Some(rv(&v.relation)),
            _ => None,
        })
        .collect();
    for t in &tables {
        f.lock(
            t,
            if full {
                AccessExclusive
            } else {
                ShareUpdateExclusive
            },
        );
    }
    f.push(Action::Vacuum {
        full: full && s.is_vacuumcmd,
        tables,
    });
}

/// `ClusterStmt`.
pub(super) fn cluster_stmt(s: &protobuf::ClusterStmt, f: &mut Facts) {
    f.kind = "CLUSTER".into();
    let table = s.relation.as_ref().map(|r| rv(&Some(r.clone())));
    if let Some(t) = &table {
        f.lock(t, AccessExclusive);
    }
    f.push(Action::Cluster { table });
}

/// `ReindexStmt`.
pub(super) fn reindex_stmt(s: &protobuf::ReindexStmt, f: &mut Facts) {
    f.kind = "REINDEX".into();
    let concurrent = option_on(&s.params, "concurrently");
    f.no_transaction |= concurrent
        || matches!(
            s.kind(),
            protobuf::ReindexObjectType::ReindexObjectSchema
                | protobuf::ReindexObjectType::ReindexObjectSystem
                | protobuf::ReindexObjectType::ReindexObjectDatabase
        );
    let target = if s.relation.is_some() {
        rv(&s.relation).to_string()
    } else {
        s.name.clone()
    };
    if let Some(r) = &s.relation {
        f.lock(
            &rv(&Some(r.clone())),
            if concurrent {
                ShareUpdateExclusive
            } else {
                Share
            },
        );
    }
    f.push(Action::Reindex { concurrent, target });
}

/// `TransactionStmt`.
pub(super) fn transaction_stmt(s: &protobuf::TransactionStmt, f: &mut Facts) {
    let kind = match s.kind() {
        Tk::TransStmtBegin | Tk::TransStmtStart => "BEGIN",
        Tk::TransStmtCommit => "COMMIT",
        Tk::TransStmtRollback => "ROLLBACK",
        Tk::TransStmtSavepoint => "SAVEPOINT",
        Tk::TransStmtRelease => "RELEASE",
        Tk::TransStmtRollbackTo => "ROLLBACK TO",
        Tk::TransStmtPrepare => "PREPARE TRANSACTION",
        _ => "COMMIT PREPARED",
    };
    f.kind = kind.into();
    f.push(Action::Transaction { kind: kind.into() });
}

/// `VariableSetStmt`.
pub(super) fn variable_set_stmt(s: &protobuf::VariableSetStmt, f: &mut Facts) {
    f.kind = "SET".into();
    f.push(Action::Set {
        name: s.name.to_ascii_lowercase(),
    });
}

/// `AlterObjectSchemaStmt`.
pub(super) fn alter_object_schema_stmt(s: &protobuf::AlterObjectSchemaStmt, f: &mut Facts) {
    if s.relation.is_some() {
        f.lock(&rv(&s.relation), AccessExclusive);
    }
    other(f, "ALTER ... SET SCHEMA")
}
