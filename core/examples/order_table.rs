//! Prints the order state machine as the Markdown table kept in docs/orders.md:
//! `cargo run -q -p samia-core --example order_table`.

fn main() {
    print!("{}", samia_core::order_flow::markdown_table());
}
