//! The wire dissector, field map, summary and dump line on arbitrary bytes. The first byte's low
//! bit is `csum_not_ready`, its next two bits the link type; the rest is the frame.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ringside::cli::dump::Dumper;
use ringside::wire::{Dissection, LinkKind};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, frame)) = data.split_first() else {
        return;
    };
    let link = [
        LinkKind::Ethernet,
        LinkKind::LinuxSll,
        LinkKind::LinuxSll2,
        LinkKind::RawIp,
    ][((flags >> 1) & 3) as usize];
    let mut d = Dissection::default();
    d.parse_link(frame, link, flags & 1 != 0);
    ringside_fuzz::check_dissection(frame, &d, &mut Dumper::new(false));
    ringside_fuzz::check_dissection(frame, &d, &mut Dumper::new(true));
    // Reuse gives the same answer as a fresh dissection.
    d.parse_link(frame, link, flags & 1 != 0);
    let mut fresh = Dissection::default();
    fresh.parse_link(frame, link, flags & 1 != 0);
    assert_eq!(d, fresh);
});
