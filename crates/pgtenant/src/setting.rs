//! Custom setting names as SQL text, for the `SET LOCAL` that tenant and
//! superadmin transactions send with their `BEGIN`. The names were validated
//! by [`crate::config::validate_setting`] (or are the library's own
//! constants); this module only quotes them.

use pgtenant_schema::ident::quote_ident;

/// A validated setting name (`app.tenant_id`) for `SET LOCAL`: each dotted
/// part quoted, so a part that is a key word (`app.user`) still parses.
pub(crate) fn quote_setting(name: &str) -> String {
    name.split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::quote_setting;

    #[test]
    fn setting_parts_that_are_key_words_are_quoted() {
        assert_eq!(quote_setting("app.tenant_id"), "app.tenant_id");
        assert_eq!(quote_setting("app.user"), "app.\"user\"");
        assert_eq!(
            quote_setting("pgtenant.superadmin_reason"),
            "pgtenant.superadmin_reason"
        );
    }
}
