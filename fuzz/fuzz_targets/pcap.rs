//! The pcap/pcapng reader over arbitrary bytes: never panics, never allocates what a length field
//! claims (libFuzzer's RSS limit catches that), stops at damage; every frame dissects.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ringside::pcap::CaptureReader;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = CaptureReader::from_reader(
        Path::new("fuzz.pcap"),
        std::io::Cursor::new(data.to_vec()),
        data.len() as u64,
    ) else {
        return;
    };
    let mut n = 0u64;
    let mut d = ringside::wire::Dissection::default();
    while let Ok(Some(f)) = r.next_frame() {
        assert!(f.data.len() <= data.len(), "a frame bigger than the file");
        d.parse(f.data, false);
        n += 1;
        assert_eq!(r.frames_read(), n);
    }
    if let Some(s) = r.stopped() {
        assert_eq!(s.frames, n);
    }
    assert!(
        r.next_frame().map(|f| f.is_none()).unwrap_or(true),
        "frames after the end"
    );
});
