//! PLACEHOLDER (to be replaced by the stack work): the API shape only, answers nothing yet.
use super::*;

pub struct Stack {
    cfg: StackConfig,
    counters: Counters,
}

impl Stack {
    pub fn new(cfg: StackConfig) -> Self {
        Stack {
            cfg,
            counters: Counters::default(),
        }
    }
    pub fn config(&self) -> &StackConfig {
        &self.cfg
    }
    pub fn handle_frame(
        &mut self,
        _now: Duration,
        _frame: &[u8],
        _csum_not_ready: bool,
        _out: &mut Outbox,
    ) -> Verdict {
        let v = Verdict::NoReply(DropReason::Malformed);
        self.counters.record(v, 0);
        v
    }
    pub fn poll(&mut self, _now: Duration) {}
    pub fn set_arp_responder(&mut self, on: bool) {
        self.cfg.arp_responder = on;
    }
    pub fn set_icmp_responder(&mut self, on: bool) {
        self.cfg.icmp_responder = on;
    }
    pub fn arp_responder(&self) -> bool {
        self.cfg.arp_responder
    }
    pub fn icmp_responder(&self) -> bool {
        self.cfg.icmp_responder
    }
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
    pub fn arp_cache(&self, _now: Duration) -> Vec<ArpEntry> {
        Vec::new()
    }
    pub fn take_printed(&mut self) -> Vec<PrintedDatagram> {
        Vec::new()
    }
}
