//! The stack's frame handler over a sequence of frames with time passing (see `split`): replies
//! well formed with right checksums, within the MTU, to the sender; counters account for every
//! frame; reassembly memory and the ARP cache stay under their caps.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ringside_fuzz::run_stack(data));
