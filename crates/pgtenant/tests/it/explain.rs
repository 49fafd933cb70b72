//! The policy-filtered query uses the tenant index: the policy's
//! sub-select is an InitPlan evaluated once, so the planner can use it as an
//! index condition.

use crate::support::{ServiceDb, TENANT_A};

#[tokio::test]
async fn the_policy_filter_uses_the_tenant_index() {
    let fx = ServiceDb::tenancy().await;
    // 100 tenants x 1,000 rows besides A and B, then fresh statistics.
    fx.db
        .exec(
            "INSERT INTO tenants SELECT md5('t' || g)::uuid, 't' || g FROM generate_series(1, 100) g;
             INSERT INTO items (tenant_id, name)
               SELECT md5('t' || (g % 100 + 1))::uuid, 'n' || g FROM generate_series(1, 100000) g;
             ANALYZE;",
        )
        .await;
    let db = fx.tenant_db(1).await;
    let mut tx = db.tenant(TENANT_A).begin().await.unwrap();
    for query in ["SELECT * FROM items", "SELECT name FROM items WHERE id = 7"] {
        let lines: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {query}"))
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let plan = lines.join("\n");
        assert!(plan.contains("InitPlan"), "{query}: no InitPlan:\n{plan}");
        assert!(
            plan.contains("Index Scan using items_pkey")
                || plan.contains("Bitmap Index Scan on items_pkey"),
            "{query}: the tenant index (items_pkey on tenant_id, id) is not used:\n{plan}"
        );
        assert!(
            !plan.contains("Seq Scan"),
            "{query}: sequential scan:\n{plan}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("Index Cond: (") && l.contains("tenant_id = $0")),
            "{query}: the tenant is not an index condition:\n{plan}"
        );
    }
}
