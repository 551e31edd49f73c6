//! Reading a capture thread to its end, as the UI does: the frames it hands over and its final
//! status.
use ringside::capture::{CaptureHandle, Captured, Status};
use std::time::{Duration, Instant};

/// Every frame the thread hands over until it says it finished, then its final status. Frames are
/// taken one at a time with a short poll (a slow reader: a small hand-off channel fills and the
/// thread must wait or count). `limit` only bounds a hang: nothing is measured by it.
pub fn drain(mut h: CaptureHandle, limit: Duration) -> (Vec<Captured>, Status) {
    let rx = h.frames.take().unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + limit;
    loop {
        if let Some(c) = rx.recv_timeout(Duration::from_millis(5)) {
            got.push(c);
            continue;
        }
        if h.status().finished || Instant::now() > deadline {
            while let Some(c) = rx.try_recv() {
                got.push(c);
            }
            break;
        }
    }
    drop(rx);
    (got, h.stop())
}
