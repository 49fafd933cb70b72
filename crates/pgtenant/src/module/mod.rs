//! Building-block modules: SQL a database opts into (tables, functions,
//! policies in their own schema), rendered from templates with a few named
//! parameters, plus optional setup seeds. See `crates/pgtenant/modules/`.
//!
//! The library only renders the SQL. The CLI adds it to the desired schema
//! before the diff, so `generate` writes it into an ordinary migration.

mod error;
mod params;
mod registry;
mod template;

pub use error::ModuleError;
pub use params::{MembershipStatus, ModuleParams, DEFAULT_SCHEMA};
pub use registry::{all, by_name};
pub use template::{render, PARAMETERS};

/// One SQL file of a module, as shipped in the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleFile {
    /// The file name, e.g. `10_tables.sql`.
    pub name: &'static str,
    /// The template text.
    pub text: &'static str,
}

/// A module: its SQL in dependency order, optional setup seeds, and docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Module {
    /// The name used in the manifest (`modules = ["rbac"]`).
    pub name: &'static str,
    /// One line for listings.
    pub summary: &'static str,
    /// The module's documentation (Markdown).
    pub docs: &'static str,
    /// Modules whose SQL this one's needs, rendered before it.
    pub requires: &'static [&'static str],
    /// Schema SQL, applied in this order.
    pub sql: &'static [ModuleFile],
    /// Schema SQL for a database with a superadmin role (the grants that
    /// role needs), rendered after `sql` only when
    /// [`ModuleParams::superadmin_role`] is set.
    pub superadmin_sql: &'static [ModuleFile],
    /// Idempotent setup seeds, applied in this order after the schema.
    pub setup: &'static [ModuleFile],
    /// Tables (in the module schema) that carry the tenant column but
    /// write their own policies: the tenancy transform must treat them as
    /// global tables and leave them alone.
    pub self_policed_tables: &'static [&'static str],
    /// SECURITY DEFINER functions (in the module schema) that are the
    /// module's API and granted to the service role on purpose: each pins
    /// its search_path and scopes its rows by the settings in force (or, for
    /// a token, by the token). The lint against definer functions the
    /// service role can run must exempt exactly these.
    pub service_definer_functions: &'static [&'static str],
}

/// A rendered file: `module/file` and its SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// `rbac/10_tables.sql`: the name errors and migrations refer to.
    pub name: String,
    pub sql: String,
}

impl Module {
    /// The schema SQL with `params` substituted, one entry per file (the
    /// superadmin files last, when the params name a superadmin role).
    pub fn render(&self, params: &ModuleParams) -> Result<Vec<RenderedFile>, ModuleError> {
        let mut files = self.render_files(self.sql, params)?;
        if params.superadmin_role.is_some() {
            files.extend(self.render_files(self.superadmin_sql, params)?);
        }
        Ok(files)
    }

    /// The setup seeds with `params` substituted.
    pub fn render_setup(&self, params: &ModuleParams) -> Result<Vec<RenderedFile>, ModuleError> {
        self.render_files(self.setup, params)
    }

    /// The schema SQL as one script, files in order.
    pub fn render_script(&self, params: &ModuleParams) -> Result<String, ModuleError> {
        let files = self.render(params)?;
        let mut out = String::new();
        for f in files {
            out.push_str(&format!("-- module {}\n", f.name));
            out.push_str(&f.sql);
            if !f.sql.ends_with('\n') {
                out.push('\n');
            }
        }
        Ok(out)
    }

    fn render_files(
        &self,
        files: &[ModuleFile],
        params: &ModuleParams,
    ) -> Result<Vec<RenderedFile>, ModuleError> {
        params.validate()?;
        files
            .iter()
            .map(|f| {
                let name = format!("{}/{}", self.name, f.name);
                let sql = render(&name, f.text, params)?;
                Ok(RenderedFile { name, sql })
            })
            .collect()
    }
}
