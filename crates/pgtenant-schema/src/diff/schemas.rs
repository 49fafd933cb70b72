//! Schemas and extensions.

use super::{step, Differ, Phase};
use crate::ident::quote_ident;
use crate::model::*;

impl Differ<'_> {
    pub(super) fn schemas(&mut self) {
        let (from, to) = (self.from, self.to);
        for (name, s) in &from.schemas {
            if !to.schemas.contains_key(name) {
                let q = quote_ident(name);
                self.push(
                    Phase::DropSchema,
                    step(
                        format!("DROP SCHEMA {q}"),
                        ObjectRef::Schema { name: name.clone() },
                    ),
                );
                let _ = s;
            }
        }
        for (name, s) in &to.schemas {
            let q = quote_ident(name);
            let obj = ObjectRef::Schema { name: name.clone() };
            let old = from.schemas.get(name);
            if old.is_none() {
                self.push(
                    Phase::CreateSchema,
                    step(format!("CREATE SCHEMA {q}"), obj.clone()),
                );
            }
            let old_grants = old.map(|o| o.grants.as_slice()).unwrap_or(&[]);
            self.grants(
                &format!("SCHEMA {q}"),
                old_grants,
                &s.grants,
                &obj,
                &format!("schema {name}"),
            );
            let old_comment = old.and_then(|o| o.comment.as_ref());
            self.comment(
                || format!("SCHEMA {q}"),
                old_comment,
                s.comment.as_ref(),
                &obj,
            );
        }
    }

    pub(super) fn extensions(&mut self) {
        let (from, to) = (self.from, self.to);
        for (name, e) in &from.extensions {
            if !to.extensions.contains_key(name) {
                self.push(
                    Phase::DropExtension,
                    step(
                        format!("DROP EXTENSION {}", quote_ident(&e.name)),
                        ObjectRef::Extension { name: name.clone() },
                    ),
                );
            }
        }
        for (name, e) in &to.extensions {
            let obj = ObjectRef::Extension { name: name.clone() };
            match from.extensions.get(name) {
                None => self.push(
                    Phase::CreateExtension,
                    step(
                        format!(
                            "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}",
                            quote_ident(&e.name),
                            quote_ident(&e.schema)
                        ),
                        obj,
                    ),
                ),
                Some(old) if old.schema != e.schema => self.push(
                    Phase::CreateExtension,
                    step(
                        format!(
                            "ALTER EXTENSION {} SET SCHEMA {}",
                            quote_ident(&e.name),
                            quote_ident(&e.schema)
                        ),
                        obj,
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}
