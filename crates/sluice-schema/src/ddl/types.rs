//! Diff phase 1: namespaces, extensions, enum and domain types, sequences.

use super::*;

/// Phase 1: schemas, extensions, enum and domain types, sequences.
pub(super) fn types_and_sequences(from: &Schema, to: &Schema, out: &mut Out) {
    // 1. schemas, extensions, types, sequences
    for (n, s) in &to.schemas {
        if !from.schemas.contains_key(n) {
            out.add(format!("CREATE SCHEMA {};", ident(n)));
            if s.comment.is_some() {
                comment_on(out, &format!("SCHEMA {}", ident(n)), &s.comment);
            }
        } else if from.schemas[n].comment != s.comment {
            comment_on(out, &format!("SCHEMA {}", ident(n)), &s.comment);
        }
    }
    for (n, e) in &to.extensions {
        if !from.extensions.contains_key(n) {
            out.add(format!(
                "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};",
                ident(n),
                ident(&e.schema)
            ));
        }
    }
    enums(from, to, out);
    domains_and_sequences(from, to, out);
}

/// Enum types: created, values added, or rebuilt when values go or move.
pub(super) fn enums(from: &Schema, to: &Schema, out: &mut Out) {
    let mut rebuilt_enums = Vec::new();
    for (k, e) in &to.enums {
        match from.enums.get(k) {
            None => out.add(format!(
                "CREATE TYPE {} AS ENUM ({});",
                q(&e.schema, &e.name),
                e.values
                    .iter()
                    .map(|v| lit(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(old) if old.values == e.values => {}
            Some(old) if only_added(&old.values, &e.values) => {
                for (i, v) in e.values.iter().enumerate() {
                    if old.values.contains(v) {
                        continue;
                    }
                    let place = match e.values[i + 1..].iter().find(|n| old.values.contains(n)) {
                        Some(next) => format!(" BEFORE {}", lit(next)),
                        None => String::new(),
                    };
                    out.add(format!(
                        "ALTER TYPE {} ADD VALUE {}{place};",
                        q(&e.schema, &e.name),
                        lit(v)
                    ));
                }
            }
            Some(old) => rebuilt_enums.push((old, e)),
        }
    }
    for (old, e) in &rebuilt_enums {
        // Values removed or reordered: rebuild the type and convert its columns.
        let name = q(&e.schema, &e.name);
        let tmp = q(&e.schema, &format!("{}__sluice_old", e.name));
        out.add(format!(
            "ALTER TYPE {name} RENAME TO {};",
            ident(&format!("{}__sluice_old", e.name))
        ));
        out.add(format!(
            "CREATE TYPE {name} AS ENUM ({});",
            e.values
                .iter()
                .map(|v| lit(v))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for (t, c) in enum_columns(from, old) {
            let default = c.default.is_some();
            if default {
                out.add(format!(
                    "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;",
                    q(&t.schema, &t.name),
                    ident(&c.name)
                ));
            }
            let arr = if c.data_type.ends_with("[]") {
                "[]"
            } else {
                ""
            };
            out.destructive(
                format!(
                    "ALTER TABLE {} ALTER COLUMN {} TYPE {name}{arr} USING {}::text{arr}::{name}{arr};",
                    q(&t.schema, &t.name),
                    ident(&c.name),
                    ident(&c.name)
                ),
                format!(
                    "rows holding a removed value of {name} make this fail: update them first (values removed: {})",
                    old.values
                        .iter()
                        .filter(|v| !e.values.contains(v))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            if let Some(d) = &c.default {
                out.add(format!(
                    "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d};",
                    q(&t.schema, &t.name),
                    ident(&c.name)
                ));
            }
        }
        out.destructive(
            format!("DROP TYPE {tmp};"),
            format!("drops the old definition of {name}"),
        );
    }
}

/// Domains and sequences, created or altered.
pub(super) fn domains_and_sequences(from: &Schema, to: &Schema, out: &mut Out) {
    for (k, d) in &to.domains {
        match from.domains.get(k) {
            None => out.add(domain_sql(d)),
            Some(old) if old == d => {}
            Some(old) if old.data_type != d.data_type => {
                out.destructive(
                    format!("DROP DOMAIN {};", q(&d.schema, &d.name)),
                    "the domain's base type changed: it is dropped and recreated".into(),
                );
                out.add(domain_sql(d));
            }
            Some(old) => {
                let name = q(&d.schema, &d.name);
                if old.default != d.default {
                    out.add(match &d.default {
                        Some(v) => format!("ALTER DOMAIN {name} SET DEFAULT {v};"),
                        None => format!("ALTER DOMAIN {name} DROP DEFAULT;"),
                    });
                }
                if old.not_null != d.not_null {
                    out.add(format!(
                        "ALTER DOMAIN {name} {} NOT NULL;",
                        if d.not_null { "SET" } else { "DROP" }
                    ));
                }
                for (n, c) in &old.checks {
                    if d.checks.get(n) != Some(c) {
                        out.add(format!("ALTER DOMAIN {name} DROP CONSTRAINT {};", ident(n)));
                    }
                }
                for (n, c) in &d.checks {
                    if old.checks.get(n) != Some(c) {
                        out.add(format!(
                            "ALTER DOMAIN {name} ADD CONSTRAINT {} {c};",
                            ident(n)
                        ));
                    }
                }
            }
        }
    }
    for (k, s) in &to.sequences {
        match from.sequences.get(k) {
            None => out.add(format!(
                "CREATE SEQUENCE {} {};",
                q(&s.schema, &s.name),
                sequence_options(s)
            )),
            Some(old)
                if (
                    old.data_type.clone(),
                    old.start,
                    old.increment,
                    old.min,
                    old.max,
                    old.cycle,
                    old.cache,
                ) != (
                    s.data_type.clone(),
                    s.start,
                    s.increment,
                    s.min,
                    s.max,
                    s.cycle,
                    s.cache,
                ) =>
            {
                out.add(format!(
                    "ALTER SEQUENCE {} {};",
                    q(&s.schema, &s.name),
                    sequence_options(s)
                ))
            }
            _ => {}
        }
    }
}
