//! The stack, sans I/O: golden and recorded replies, fragments, properties, and `respond` over
//! hostile corpora (tshark checks its replies).
#[path = "../support/mod.rs"]
mod support;

mod corpus_respond;
mod stack_fragments;
mod stack_golden;
mod stack_props;
mod stack_recorded;
