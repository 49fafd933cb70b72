//! A scratch database with some modules installed: a tenants table and a
//! NOSUPERUSER NOBYPASSRLS service role granted what bootstrap grants
//! (nothing in the modules' schema: the modules' SQL grants that).

use crate::support::{ServiceDb, TENANT_A, TENANT_B};
use pgtenant::module::{self, ModuleParams};
use pgtenant::TenantKeyType;

impl ServiceDb {
    /// Tenants A and B and the `modules`, rendered for the service role.
    pub async fn with_modules(modules: &[&str]) -> ServiceDb {
        ServiceDb::with_modules_for(modules, None).await
    }

    /// The same, rendered for a superadmin role too (which must exist).
    pub async fn with_modules_for(modules: &[&str], superadmin: Option<&str>) -> ServiceDb {
        ServiceDb::create(|svc| {
            let mut params = ModuleParams::new(TenantKeyType::Uuid, TenantKeyType::Uuid)
                .user_setting("app.user_id")
                .root_table("tenants", "id")
                .service_role(svc);
            if let Some(sa) = superadmin {
                params = params.superadmin_role(sa);
            }
            let mut sql = format!(
                "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
                 INSERT INTO tenants VALUES ('{TENANT_A}', 'A'), ('{TENANT_B}', 'B');\n"
            );
            for m in modules {
                sql.push_str(&module::by_name(m).unwrap().render_script(&params).unwrap());
            }
            // What bootstrap grants: DML in the application schemas, USAGE
            // on the modules' schema; the modules' SQL grants the rest.
            sql.push_str(&format!(
                "GRANT USAGE ON SCHEMA public, pgtenant TO {svc};
                 GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {svc};
                 GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {svc};\n"
            ));
            sql
        })
        .await
    }
}
