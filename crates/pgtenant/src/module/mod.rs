//! Building-block modules: SQL a database opts into (tables, functions,
//! policies in their own schema), rendered from templates with a few named
//! parameters, plus optional setup seeds. See `crates/pgtenant/modules/`.
//!
//! The library only renders the SQL. The CLI adds the schema SQL to the
//! desired schema before the diff, so `generate` writes it into an ordinary
//! migration; the grants to the service role are not schema (a role name
//! belongs to an environment), so the CLI applies them with bootstrap, for
//! the role the manifest names, and never writes them into a migration.

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
    /// Whether the module needs tenancy (a root table, tenant-scoped
    /// rows). A module that does not can serve a database with tenancy
    /// off: its tenant column is then a plain value with no foreign key.
    pub needs_tenancy: bool,
    /// Schema SQL, applied in this order. Grants nothing to the service
    /// role (see `grants`).
    pub sql: &'static [ModuleFile],
    /// The service role's privileges on the module's objects: GRANT
    /// statements that use only the `schema` and `service_role`
    /// parameters, applied after the schema SQL.
    pub grants: &'static [ModuleFile],
    /// Grants to the manifest's superadmin role (`{{superadmin_role}}`),
    /// applied like `grants` when the database has one.
    pub superadmin_grants: &'static [ModuleFile],
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
    /// The schema SQL with `params` substituted, one entry per file
    /// (without the grants: [`Module::render_grants`]).
    pub fn render(&self, params: &ModuleParams) -> Result<Vec<RenderedFile>, ModuleError> {
        self.render_files(self.sql, params)
    }

    /// The grants of the module's objects in `schema` to `service_role`,
    /// then to `superadmin_role` when there is one. They need no other
    /// parameter, so they can be applied where only the manifest is known
    /// (bootstrap).
    pub fn render_grants(
        &self,
        schema: &str,
        service_role: &str,
        superadmin_role: Option<&str>,
    ) -> Result<Vec<RenderedFile>, ModuleError> {
        // The key types are unused: grant files name only the schema and
        // the roles (a test holds every module to it).
        let mut params = ModuleParams::new(crate::TenantKeyType::Uuid, crate::TenantKeyType::Uuid)
            .schema(schema)
            .service_role(service_role);
        if let Some(r) = superadmin_role {
            params = params.superadmin_role(r);
        }
        self.grant_files(&params)
    }

    /// The grant files rendered with `params`: the superadmin role's only
    /// when `params` names one.
    fn grant_files(&self, params: &ModuleParams) -> Result<Vec<RenderedFile>, ModuleError> {
        let mut files = self.render_files(self.grants, params)?;
        if params.superadmin_role.is_some() {
            files.extend(self.render_files(self.superadmin_grants, params)?);
        }
        Ok(files)
    }

    /// The setup seeds with `params` substituted.
    pub fn render_setup(&self, params: &ModuleParams) -> Result<Vec<RenderedFile>, ModuleError> {
        self.render_files(self.setup, params)
    }

    /// The schema SQL and then the grants as one script, files in order:
    /// the module applied by hand, as one client would.
    pub fn render_script(&self, params: &ModuleParams) -> Result<String, ModuleError> {
        let mut files = self.render(params)?;
        files.extend(self.grant_files(params)?);
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
