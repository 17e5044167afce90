//! Postgres introspection: a fixed set of catalog queries (one per object
//! kind), whatever the schema's size.

use crate::introspect::{b, n, o, s, Options, Row};
use crate::{Database, DbError};
use sluice_schema::model::*;

/// The number of catalog queries one introspection sends.
pub const QUERIES: usize = 12;

const NS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";
const NOT_EXT: &str =
    "NOT EXISTS (SELECT 1 FROM pg_depend dx WHERE dx.objid = OBJ AND dx.deptype = 'e')";

fn not_ext(obj: &str) -> String {
    NOT_EXT.replace("OBJ", obj)
}

/// Reads the schema over one connection.
pub fn introspect(db: &mut dyn Database, opts: &Options) -> Result<Schema, DbError> {
    postgres_with(&mut |sql: String| db.query_rows(&sql), opts)
}

/// Reads the schema with its queries spread over `db` and `extra`.
pub fn parallel(
    db: &mut dyn Database,
    extra: &mut [Box<dyn Database>],
    opts: &Options,
) -> Result<Schema, DbError> {
    // The queries depend only on the options, not on each other's results:
    // record them with a pass that answers every query with no rows, run them
    // all, then build the schema from the answers in order.
    let mut sqls = Vec::new();
    postgres_with(
        &mut |sql| {
            sqls.push(sql);
            Ok(Vec::new())
        },
        opts,
    )?;
    // Heaviest first, taken from one queue by every connection.
    let weight = |sql: &str| {
        ["pg_attribute", "pg_get_indexdef", "pg_get_constraintdef"]
            .iter()
            .any(|w| sql.contains(w))
    };
    let mut order: Vec<usize> = (0..sqls.len()).collect();
    order.sort_by_key(|&i| !weight(&sqls[i]));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![None; sqls.len()]);
    let mut conns: Vec<&mut dyn Database> = vec![db];
    conns.extend(extra.iter_mut().map(|b| &mut **b as &mut dyn Database));
    std::thread::scope(|sc| -> Result<(), DbError> {
        let handles: Vec<_> = conns
            .into_iter()
            .map(|conn| {
                let (next, results, order, sqls) = (&next, &results, &order, &sqls);
                sc.spawn(move || -> Result<(), DbError> {
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&i) = order.get(k) else {
                            return Ok(());
                        };
                        let rows = conn.query_rows(&sqls[i])?;
                        results.lock().expect("results lock")[i] = Some(rows);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("introspection thread panicked")?;
        }
        Ok(())
    })?;
    let mut answers = results
        .into_inner()
        .expect("results lock")
        .into_iter()
        .zip(sqls);
    let mut fallback = Vec::new();
    let schema = postgres_with(
        &mut |sql| match answers.next() {
            Some((Some(rows), asked)) if asked == sql => Ok(rows),
            _ => {
                fallback.push(sql);
                Ok(Vec::new())
            }
        },
        opts,
    )?;
    if !fallback.is_empty() {
        return Err(DbError::msg(format!(
            "introspection queries changed between passes: {fallback:?}"
        )));
    }
    Ok(schema)
}

type Query<'a> = dyn FnMut(String) -> Result<Vec<Row>, DbError> + 'a;

fn postgres_with(q: &mut Query<'_>, opts: &Options) -> Result<Schema, DbError> {
    let mut out = Schema {
        snapshot_version: SNAPSHOT_VERSION,
        dialect: "postgres".into(),
        ..Default::default()
    };

    namespaces_and_extensions(q, opts, &mut out)?;
    relations_and_columns(q, opts, &mut out)?;
    table_objects(q, &mut out)?;
    sequences_and_types(q, opts, &mut out)?;
    functions_and_view_deps(q, opts, &mut out)?;
    Ok(out)
}

/// Schemas and extensions.
fn namespaces_and_extensions(
    q: &mut Query<'_>,
    opts: &Options,
    out: &mut Schema,
) -> Result<(), DbError> {
    // 1. schemas
    for r in q(format!(
        "SELECT n.nspname, obj_description(n.oid, 'pg_namespace') FROM pg_namespace n WHERE {NS} AND {}",
        not_ext("n.oid")
    ))? {
        let name = s(&r, 0);
        if !opts.wants(&name) || (name == opts.history_schema && name != "public") {
            continue;
        }
        let comment = o(&r, 1).filter(|c| !(name == "public" && c == "standard public schema"));
        out.schemas.insert(name, Namespace { comment });
    }
    // 2. extensions
    for r in q("SELECT e.extname, n.nspname, e.extversion FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'".into())? {
        out.extensions.insert(
            s(&r, 0),
            Extension {
                schema: s(&r, 1),
                version: s(&r, 2),
            },
        );
    }
    Ok(())
}

/// Relations (tables, partitions, views) and their columns.
fn relations_and_columns(
    q: &mut Query<'_>,
    opts: &Options,
    out: &mut Schema,
) -> Result<(), DbError> {
    // 3. relations
    for r in q(format!(
        "SELECT n.nspname, c.relname, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
                ds.description,
                CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
                   JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid AND c.relispartition),
                CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {NS} AND {}",
        not_ext("c.oid")
    ))? {
        let (schema, name) = (s(&r, 0), s(&r, 1));
        if !opts.wants_relation(&schema, &name) {
            continue;
        }
        let k = key(&schema, &name);
        match s(&r, 2).as_str() {
            kind @ ("v" | "m") => {
                out.views.insert(
                    k,
                    View {
                        schema,
                        name,
                        materialized: kind == "m",
                        definition: s(&r, 9).trim().to_string(),
                        comment: o(&r, 5),
                        ..Default::default()
                    },
                );
            }
            kind => {
                out.tables.insert(
                    k,
                    Table {
                        schema,
                        name,
                        kind: match kind {
                            "p" => "partitioned table",
                            "f" => "foreign table",
                            _ => "table",
                        }
                        .into(),
                        rls_enabled: b(&r, 3),
                        rls_forced: b(&r, 4),
                        comment: o(&r, 5),
                        partition_by: o(&r, 6),
                        partition_of: o(&r, 7),
                        partition_bound: o(&r, 8),
                        ..Default::default()
                    },
                );
            }
        }
    }
    // 4. columns
    for r in q(format!(
        "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
                CASE WHEN a.attcollation <> t.typcollation THEN co.collname END,
                ds.description
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
         LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND {NS}
         ORDER BY a.attrelid, a.attnum"
    ))? {
        let Some(t) = out.tables.get_mut(&key(&s(&r, 0), &s(&r, 1))) else {
            continue;
        };
        let expr = o(&r, 5);
        let generated = s(&r, 7) == "s";
        t.columns.push(Column {
            name: s(&r, 2),
            data_type: s(&r, 3),
            not_null: b(&r, 4),
            default: if generated { None } else { expr.clone() },
            identity: match s(&r, 6).as_str() {
                "a" => Some("always".into()),
                "d" => Some("by default".into()),
                _ => None,
            },
            generated: if generated { expr } else { None },
            collation: o(&r, 8),
            comment: o(&r, 9),
        });
    }
    Ok(())
}

/// Constraints, indexes, triggers and policies of the tables.
fn table_objects(q: &mut Query<'_>, out: &mut Schema) -> Result<(), DbError> {
    // 5. constraints (those a partition inherits belong to its parent)
    for r in q(format!(
        "SELECT n.nspname, c.relname, co.conname, co.contype::text, pg_get_constraintdef(co.oid), co.convalidated,
                (SELECT fn.nspname || '.' || fc.relname FROM pg_class fc JOIN pg_namespace fn ON fn.oid = fc.relnamespace WHERE fc.oid = co.confrelid)
         FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE co.conrelid <> 0 AND co.conparentid = 0 AND co.contype IN ('p', 'u', 'f', 'c', 'x') AND co.conislocal AND {NS}"
    ))? {
        let Some(t) = out.tables.get_mut(&key(&s(&r, 0), &s(&r, 1))) else {
            continue;
        };
        t.constraints.insert(
            s(&r, 2),
            Constraint {
                kind: match s(&r, 3).as_str() {
                    "p" => "primary key",
                    "u" => "unique",
                    "f" => "foreign key",
                    "c" => "check",
                    _ => "exclusion",
                }
                .into(),
                definition: s(&r, 4),
                validated: b(&r, 5),
                references: o(&r, 6),
            },
        );
    }
    // 6. indexes (not those behind constraints, nor a partition's copies)
    for r in q(format!(
        "SELECT n.nspname, c.relname, ic.relname, pg_get_indexdef(i.indexrelid), i.indisvalid
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {NS}
           AND i.indexrelid NOT IN (SELECT co.conindid FROM pg_constraint co WHERE co.contype IN ('p', 'u', 'x'))
           AND i.indexrelid NOT IN (SELECT h.inhrelid FROM pg_inherits h)"
    ))? {
        let k = key(&s(&r, 0), &s(&r, 1));
        let idx = Index {
            definition: s(&r, 3),
            valid: b(&r, 4),
        };
        if let Some(t) = out.tables.get_mut(&k) {
            t.indexes.insert(s(&r, 2), idx);
        } else if let Some(v) = out.views.get_mut(&k) {
            v.indexes.insert(s(&r, 2), idx);
        }
    }
    // 7. triggers
    for r in q(format!(
        "SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled::text
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND {NS}"
    ))? {
        if let Some(t) = out.tables.get_mut(&key(&s(&r, 0), &s(&r, 1))) {
            t.triggers.insert(
                s(&r, 2),
                Trigger {
                    definition: s(&r, 3),
                    enabled: s(&r, 4),
                },
            );
        }
    }
    // 8. policies
    for r in q(format!(
        "SELECT n.nspname, c.relname, p.polname, p.polcmd::text, p.polpermissive,
                array_to_string(ARRAY(SELECT CASE WHEN x = 0 THEN 'public' ELSE x::regrole::text END FROM unnest(p.polroles) x ORDER BY 1), ','),
                pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {NS}"
    ))? {
        if let Some(t) = out.tables.get_mut(&key(&s(&r, 0), &s(&r, 1))) {
            t.policies.insert(
                s(&r, 2),
                Policy {
                    command: match s(&r, 3).as_str() {
                        "r" => "SELECT",
                        "a" => "INSERT",
                        "w" => "UPDATE",
                        "d" => "DELETE",
                        _ => "ALL",
                    }
                    .into(),
                    permissive: b(&r, 4),
                    roles: s(&r, 5).split(',').map(str::to_string).collect(),
                    using: o(&r, 6),
                    check: o(&r, 7),
                },
            );
        }
    }
    Ok(())
}

/// Sequences, enums and domains.
fn sequences_and_types(q: &mut Query<'_>, opts: &Options, out: &mut Schema) -> Result<(), DbError> {
    // 9. sequences (not identity columns' own)
    for r in q(format!(
        "SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcycle, s.seqcache,
                (SELECT tn.nspname || '.' || tc.relname || '.' || a.attname FROM pg_depend d
                   JOIN pg_class tc ON tc.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
                   JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a' AND d.refclassid = 'pg_class'::regclass)
         FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {NS} AND {}
           AND c.oid NOT IN (SELECT d.objid FROM pg_depend d WHERE d.deptype = 'i')",
        not_ext("c.oid")
    ))? {
        let (schema, name) = (s(&r, 0), s(&r, 1));
        if !opts.wants_relation(&schema, &name) {
            continue;
        }
        out.sequences.insert(
            key(&schema, &name),
            Sequence {
                schema,
                name,
                data_type: s(&r, 2),
                start: n(&r, 3),
                increment: n(&r, 4),
                min: n(&r, 5),
                max: n(&r, 6),
                cycle: b(&r, 7),
                cache: n(&r, 8),
                owned_by: o(&r, 9),
            },
        );
    }
    // 10. enums and domains
    for r in q(format!(
        "SELECT n.nspname, t.typname, t.typtype::text,
                ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)::text,
                format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
                (SELECT json_object_agg(dc.conname, pg_get_constraintdef(dc.oid))::text FROM pg_constraint dc WHERE dc.contypid = t.oid)
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE t.typtype IN ('e', 'd') AND {NS} AND {}",
        not_ext("t.oid")
    ))? {
        let (schema, name) = (s(&r, 0), s(&r, 1));
        if !opts.wants(&schema) {
            continue;
        }
        if s(&r, 2) == "e" {
            out.enums.insert(
                key(&schema, &name),
                Enum {
                    schema,
                    name,
                    values: parse_text_array(&s(&r, 3)),
                },
            );
        } else {
            let checks = o(&r, 7)
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default();
            out.domains.insert(
                key(&schema, &name),
                Domain {
                    schema,
                    name,
                    data_type: s(&r, 4),
                    not_null: b(&r, 5),
                    default: o(&r, 6),
                    checks,
                },
            );
        }
    }
    Ok(())
}

/// Functions and procedures, and what views read.
fn functions_and_view_deps(
    q: &mut Query<'_>,
    opts: &Options,
    out: &mut Schema,
) -> Result<(), DbError> {
    // 11. functions and procedures
    for r in q(format!(
        "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prokind::text,
                pg_get_functiondef(p.oid), obj_description(p.oid, 'pg_proc')
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.prokind IN ('f', 'p') AND {NS} AND {}",
        not_ext("p.oid")
    ))? {
        let (schema, name, args) = (s(&r, 0), s(&r, 1), s(&r, 2));
        if !opts.wants(&schema) {
            continue;
        }
        out.functions.insert(
            format!("{schema}.{name}({args})"),
            Function {
                schema,
                name,
                kind: if s(&r, 3) == "p" {
                    "procedure"
                } else {
                    "function"
                }
                .into(),
                arguments: args,
                definition: s(&r, 4).trim().to_string(),
                comment: o(&r, 5),
            },
        );
    }
    // 12. what views read
    for r in q(format!(
        "SELECT DISTINCT n.nspname, v.relname, rn.nspname, r.relname
         FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid
         JOIN pg_class v ON v.oid = rw.ev_class JOIN pg_namespace n ON n.oid = v.relnamespace
         JOIN pg_class r ON r.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = r.relnamespace
         WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
           AND r.oid <> v.oid AND {NS}
         ORDER BY 1, 2, 3, 4"
    ))? {
        if let Some(v) = out.views.get_mut(&key(&s(&r, 0), &s(&r, 1))) {
            v.depends_on.push(key(&s(&r, 2), &s(&r, 3)));
        }
    }
    Ok(())
}

/// Parses a Postgres text array literal (`{a,"b c"}`).
fn parse_text_array(text: &str) -> Vec<String> {
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or("");
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = inner.chars();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if any {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_arrays() {
        assert_eq!(parse_text_array("{}"), Vec::<String>::new());
        assert_eq!(parse_text_array("{a,b}"), ["a", "b"]);
        assert_eq!(
            parse_text_array(r#"{"a b","c,d","e\"f"}"#),
            ["a b", "c,d", "e\"f"]
        );
    }
}
