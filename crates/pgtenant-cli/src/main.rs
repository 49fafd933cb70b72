//! The `pgtenant` command-line tool.

fn main() {
    println!("pgtenant");
}
