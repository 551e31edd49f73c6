#![allow(unsafe_code)] // bpf(2): the kernel reads the program and attributes we point it at
//! The XDP program that hands frames to ringside, and the three `bpf()` calls that install it:
//! an XSKMAP (queue index -> AF_XDP socket), the program itself (six instruction slots, written
//! out below), and a BPF link that attaches it to the interface.
//!
//! Why by hand, without libbpf or a compiler: the program is one line of C,
//!
//! ```c
//! SEC("xdp") int ringside(struct xdp_md *ctx)
//! {
//!     return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
//! }
//! ```
//!
//! and it compiles to five instructions (the map reference takes two slots), which a student can
//! read here one by one. Pulling in clang, an ELF loader and BTF for that would hide the lesson.
//!
//! The BPF link (BPF_LINK_CREATE, Linux >= 5.9) is what makes the program go away when ringside
//! goes away: the attachment lives as long as the link's file descriptor, and the kernel closes
//! that descriptor when the process exits, even on SIGKILL. (An attachment made the older way,
//! through netlink, would stay on the interface and keep swallowing frames after a crash.)
//!
//! References: Documentation/bpf/standardization/instruction-set.rst (the encoding),
//! include/uapi/linux/bpf.h (the `bpf_attr` layouts and enum values used below),
//! Documentation/networking/af_xdp.rst ("XSKMAP / BPF_MAP_TYPE_XSKMAP").
use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

// bpf(2) commands (enum bpf_cmd).
const BPF_MAP_CREATE: libc::c_int = 0;
const BPF_MAP_UPDATE_ELEM: libc::c_int = 2;
const BPF_PROG_LOAD: libc::c_int = 5;
const BPF_LINK_CREATE: libc::c_int = 28;

const BPF_MAP_TYPE_XSKMAP: u32 = 17;
const BPF_PROG_TYPE_XDP: u32 = 6;
/// enum bpf_attach_type: BPF_XDP.
const BPF_XDP: u32 = 37;
/// Helper number of `bpf_redirect_map` (enum bpf_func_id).
pub const BPF_FUNC_REDIRECT_MAP: i32 = 51;
/// `ld_imm64` with this source register means "the immediate is a map file descriptor": the
/// verifier swaps in the map's address.
const BPF_PSEUDO_MAP_FD: u8 = 1;
/// XDP verdicts (enum xdp_action).
pub const XDP_PASS: i32 = 2;
/// Offset of `rx_queue_index` in `struct xdp_md` (data, data_end, data_meta, ingress_ifindex,
/// rx_queue_index: five __u32).
pub const XDP_MD_RX_QUEUE_INDEX: i16 = 16;

/// XDP attach flags (include/uapi/linux/if_link.h).
pub const XDP_FLAGS_SKB_MODE: u32 = 1 << 1;
pub const XDP_FLAGS_DRV_MODE: u32 = 1 << 2;

/// One eBPF instruction: opcode, two 4-bit registers, a 16-bit offset, a 32-bit immediate.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    /// dst_reg in the low nibble, src_reg in the high nibble (little-endian bitfield order).
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

const fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: (src << 4) | dst,
        off,
        imm,
    }
}

// Opcode = class | size or operation | mode or source (instruction-set.rst). Zero parts are
// written out too, so each opcode reads as the spec spells it.
const BPF_LD: u8 = 0x00;
const BPF_LDX: u8 = 0x01;
const BPF_JMP: u8 = 0x05;
const BPF_ALU64: u8 = 0x07;
const BPF_W: u8 = 0x00; // 32-bit word
const BPF_DW: u8 = 0x18; // 64-bit double word
const BPF_IMM: u8 = 0x00;
const BPF_MEM: u8 = 0x60;
const BPF_MOV: u8 = 0xb0;
const BPF_K: u8 = 0x00; // source: the immediate
const BPF_CALL: u8 = 0x80;
const BPF_EXIT: u8 = 0x90;

#[allow(clippy::identity_op, clippy::eq_op)]
const BPF_LDX_MEM_W: u8 = BPF_LDX | BPF_MEM | BPF_W; // 0x61
#[allow(clippy::identity_op, clippy::eq_op)]
const BPF_LD_IMM_DW: u8 = BPF_LD | BPF_IMM | BPF_DW; // 0x18, takes two slots
#[allow(clippy::identity_op, clippy::eq_op)]
const BPF_ALU64_MOV_K: u8 = BPF_ALU64 | BPF_MOV | BPF_K; // 0xb7
const BPF_JMP_CALL: u8 = BPF_JMP | BPF_CALL; // 0x85
const BPF_JMP_EXIT: u8 = BPF_JMP | BPF_EXIT; // 0x95

/// The program, for the XSKMAP `map_fd`. On entry r1 points at the `struct xdp_md` context;
/// a helper takes its arguments in r1..r3 and returns in r0, which `exit` returns to the kernel.
pub fn program(map_fd: i32) -> [Insn; 6] {
    [
        // r2 = ctx->rx_queue_index          (the key: which queue the frame came in on)
        insn(BPF_LDX_MEM_W, 2, 1, XDP_MD_RX_QUEUE_INDEX, 0),
        // r1 = &xsks                        (64-bit immediate: the map, by file descriptor)
        insn(BPF_LD_IMM_DW, 1, BPF_PSEUDO_MAP_FD, 0, map_fd),
        insn(0, 0, 0, 0, 0), //               (its upper 32 bits)
        // r3 = XDP_PASS                     (what to do when no socket sits at that key)
        insn(BPF_ALU64_MOV_K, 3, 0, 0, XDP_PASS),
        // r0 = bpf_redirect_map(r1, r2, r3) (XDP_REDIRECT when the socket exists)
        insn(BPF_JMP_CALL, 0, 0, 0, BPF_FUNC_REDIRECT_MAP),
        // return r0
        insn(BPF_JMP_EXIT, 0, 0, 0, 0),
    ]
}

// The parts of `union bpf_attr` each command reads. The kernel zero-fills what we do not pass.
#[repr(C)]
#[derive(Default)]
struct MapCreateAttr {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    inner_map_fd: u32,
    numa_node: u32,
    map_name: [u8; 16],
}

#[repr(C)]
#[derive(Default)]
struct MapUpdateAttr {
    map_fd: u32,
    _pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
}

#[repr(C)]
#[derive(Default)]
struct LinkCreateAttr {
    prog_fd: u32,
    target_ifindex: u32,
    attach_type: u32,
    flags: u32,
}

fn name16(s: &str) -> [u8; 16] {
    let mut n = [0u8; 16];
    for (o, b) in n.iter_mut().zip(s.bytes().take(15)) {
        *o = b;
    }
    n
}

/// bpf(2). Returns the new file descriptor (or 0 for commands that make none).
fn bpf<T>(cmd: libc::c_int, attr: &mut T) -> io::Result<libc::c_int> {
    // SAFETY: `attr` is a live, initialised #[repr(C)] prefix of `union bpf_attr` of the size we
    // pass; the kernel reads at most that many bytes and writes nothing back for these commands.
    // Pointers inside it (instructions, licence, log) point at buffers that outlive the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            (attr as *mut T).cast::<libc::c_void>(),
            size_of::<T>() as libc::c_uint,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(r as libc::c_int)
}

/// The descriptor bpf(2) just returned (a map, a program or a link), closed on drop.
fn owned(fd: libc::c_int) -> OwnedFd {
    // SAFETY: `fd` is a new descriptor from a successful bpf(2) call, owned only here.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// An XSKMAP with `entries` slots (one per RX queue), keys and values 4 bytes (queue -> socket fd).
pub(crate) fn create_xskmap(entries: u32) -> io::Result<OwnedFd> {
    let mut a = MapCreateAttr {
        map_type: BPF_MAP_TYPE_XSKMAP,
        key_size: 4,
        value_size: 4,
        max_entries: entries,
        map_name: name16("ringside_xsks"),
        ..Default::default()
    };
    bpf(BPF_MAP_CREATE, &mut a).map(owned)
}

/// xsks[queue] = the AF_XDP socket `sock`.
pub(crate) fn xskmap_set(map: BorrowedFd<'_>, queue: u32, sock: BorrowedFd<'_>) -> io::Result<()> {
    let key = queue;
    let value = sock.as_raw_fd() as u32;
    let mut a = MapUpdateAttr {
        map_fd: map.as_raw_fd() as u32,
        key: &key as *const u32 as u64,
        value: &value as *const u32 as u64,
        ..Default::default()
    };
    bpf(BPF_MAP_UPDATE_ELEM, &mut a).map(|_| ())
}

/// Load [`program`] for `map`. On a verifier rejection the error carries the verifier's last line.
pub(crate) fn load_program(map: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    let insns = program(map.as_raw_fd());
    let license = c"MIT OR Apache-2.0";
    let mut log = vec![0u8; 4096];
    let mut a = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_XDP,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        prog_name: name16("ringside"),
        expected_attach_type: BPF_XDP,
        ..Default::default()
    };
    match bpf(BPF_PROG_LOAD, &mut a) {
        Ok(fd) => Ok(owned(fd)),
        Err(e)
            if e.raw_os_error() == Some(libc::EACCES) || e.raw_os_error() == Some(libc::EINVAL) =>
        {
            // Load again with the verifier's log, to say why.
            a.log_level = 1;
            a.log_size = log.len() as u32;
            a.log_buf = log.as_mut_ptr() as u64;
            let _ = bpf(BPF_PROG_LOAD, &mut a);
            let text = String::from_utf8_lossy(&log);
            let last = text
                .trim_end_matches('\0')
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("")
                .to_string();
            Err(io::Error::new(
                e.kind(),
                format!("the kernel's verifier refused the XDP program: {e} ({last})"),
            ))
        }
        Err(e) => Err(e),
    }
}

/// Attach `prog` to interface `ifindex` with a BPF link; `flags` picks generic (SKB) or native
/// (DRV) mode. The program stays attached exactly as long as the returned descriptor is open.
pub(crate) fn attach_link(prog: BorrowedFd<'_>, ifindex: u32, flags: u32) -> io::Result<OwnedFd> {
    let mut a = LinkCreateAttr {
        prog_fd: prog.as_raw_fd() as u32,
        target_ifindex: ifindex,
        attach_type: BPF_XDP,
        flags,
    };
    bpf(BPF_LINK_CREATE, &mut a).map(owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The program's bytes, as instruction-set.rst encodes each instruction: opcode, registers
    /// (src << 4 | dst), offset and immediate, little-endian.
    #[test]
    fn program_bytes_follow_the_instruction_set_encoding() {
        let p = program(7);
        let bytes: Vec<u8> = p
            .iter()
            .flat_map(|i| {
                let mut b = vec![i.code, i.regs];
                b.extend_from_slice(&i.off.to_le_bytes());
                b.extend_from_slice(&i.imm.to_le_bytes());
                b
            })
            .collect();
        assert_eq!(size_of::<Insn>(), 8);
        assert_eq!(&bytes[0..8], &[0x61, 0x12, 0x10, 0, 0, 0, 0, 0]);
        assert_eq!(&bytes[8..16], &[0x18, 0x11, 0, 0, 7, 0, 0, 0]);
        assert_eq!(&bytes[16..24], &[0; 8]);
        assert_eq!(&bytes[24..32], &[0xb7, 0x03, 0, 0, 2, 0, 0, 0]);
        assert_eq!(&bytes[32..40], &[0x85, 0, 0, 0, 51, 0, 0, 0]);
        assert_eq!(&bytes[40..48], &[0x95, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn attr_layouts_match_the_kernel_abi() {
        // Field offsets of union bpf_attr's members (include/uapi/linux/bpf.h).
        assert_eq!(std::mem::offset_of!(ProgLoadAttr, insns), 8);
        assert_eq!(std::mem::offset_of!(ProgLoadAttr, log_buf), 32);
        assert_eq!(std::mem::offset_of!(ProgLoadAttr, prog_name), 48);
        assert_eq!(std::mem::offset_of!(ProgLoadAttr, expected_attach_type), 68);
        assert_eq!(std::mem::offset_of!(MapUpdateAttr, key), 8);
        assert_eq!(std::mem::offset_of!(MapCreateAttr, map_name), 28);
        assert_eq!(size_of::<LinkCreateAttr>(), 16);
    }
}
