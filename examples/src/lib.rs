//! Examples live beside this crate as `cargo run -p itosm-examples --example …`.
