//! The wire layer: the dissector against golden frames, properties, regressions and tshark;
//! `dump` byte for byte; the C layouts against gcc. Needs tshark/editcap and a C compiler.
#[path = "../support/mod.rs"]
mod support;

mod agreement;
mod corpus_gen;
mod dump_golden;
mod struct_gcc;
mod wire_dissect;
mod wire_props;
mod wire_regressions;
