//! `ringside struct` prints C that a compiler accepts, and the layout ringside computes (the panel's
//! offsets, the lessons' sizes) is the one the system C compiler really uses: every `sizeof`,
//! `_Alignof`, `offsetof` and bit-field position of the course's structs, natural and packed.
//! Needs a C compiler (`cc` or `gcc`): under CI a missing one fails; elsewhere the test skips.
use ringside::cli::cstruct::declarations;
use ringside::ui::packing::{CDecl, CField, CStruct, CourseFrame};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::process::Command;

fn compiler() -> Option<&'static str> {
    ["cc", "gcc"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
}

fn ringside_struct(frame: &str, packed: bool) -> String {
    let mut args = vec!["struct", frame];
    if packed {
        args.push("--packed");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(&args)
        .output()
        .unwrap();
    assert!(out.status.success(), "ringside {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn compile(cc: &str, dir: &Path, name: &str, source: &str, link: bool) -> std::path::PathBuf {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).unwrap();
    let out = dir.join(name);
    let mut cmd = Command::new(cc);
    cmd.args(["-std=gnu11", "-Wall", "-Werror", "-o"])
        .arg(&out)
        .arg(&c);
    if !link {
        cmd.arg("-c");
    }
    let r = cmd.output().unwrap();
    assert!(
        r.status.success(),
        "{cc} rejected {name}.c:\n{}\n--- source ---\n{source}",
        String::from_utf8_lossy(&r.stderr)
    );
    out
}

/// A main() that prints what the compiler decided, one `key value` per line; and the same keys
/// with the values ringside computed.
fn probe(outer: &CStruct, packed: bool) -> (String, BTreeMap<String, usize>) {
    let mut main = String::from("#include <stdio.h>\n#include <string.h>\nint main(void) {\n");
    let mut want = BTreeMap::new();
    for st in outer.with_dependencies() {
        let l = st.layout(packed);
        let n = st.name;
        let _ = writeln!(
            main,
            "  printf(\"sizeof {n} %zu\\n\", sizeof(struct {n}));\n  printf(\"align {n} %zu\\n\", _Alignof(struct {n}));"
        );
        want.insert(format!("sizeof {n}"), l.size);
        want.insert(format!("align {n}"), l.align);
        for p in &l.members {
            let f = p.field.name;
            match (p.bit, p.field.bits) {
                (Some((unit, first)), Some(w)) => {
                    // Set every bit of the bit-field and find the lowest bit that changed.
                    let _ = writeln!(
                        main,
                        "  {{ struct {n} x; memset(&x, 0, sizeof x); x.{f} = {ones}u;\n    \
                         unsigned char *b = (unsigned char *)&x; int lo = -1, k;\n    \
                         for (k = 0; k < (int)(8 * sizeof x); k++) if (b[k / 8] >> (k % 8) & 1) {{ lo = k; break; }}\n    \
                         printf(\"bit {n}.{f} %d\\n\", lo); }}",
                        ones = (1u64 << w) - 1
                    );
                    want.insert(format!("bit {n}.{f}"), unit * 8 + first as usize);
                }
                _ => {
                    let _ = writeln!(
                        main,
                        "  printf(\"offsetof {n}.{f} %zu\\n\", offsetof(struct {n}, {f}));"
                    );
                    want.insert(format!("offsetof {n}.{f}"), p.offset);
                }
            }
        }
    }
    // Every nested member by its full path from the outermost struct (`pkt->ip.protocol`).
    for leaf in outer.leaves() {
        if leaf.depth > 0 && leaf.field.bits.is_none() {
            let (o, p) = (outer.name, &leaf.path);
            let _ = writeln!(
                main,
                "  printf(\"path {p} %zu\\n\", offsetof(struct {o}, {p}));"
            );
            want.insert(
                format!("path {p}"),
                if packed { leaf.packed } else { leaf.natural },
            );
        }
    }
    main.push_str("  return 0;\n}\n");
    (main, want)
}

#[test]
fn ringside_struct_compiles_and_every_size_and_offset_matches_the_c_compiler() {
    let Some(cc) = compiler() else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must have a C compiler (.ci/run installs gcc)"
        );
        eprintln!("skipped: no C compiler (install gcc and libc6-dev)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for frame in [CourseFrame::Udp, CourseFrame::Icmp, CourseFrame::Arp] {
        for packed in [false, true] {
            let name = format!("{frame:?}{}", if packed { "_packed" } else { "" }).to_lowercase();
            let arg = format!("{frame:?}").to_lowercase();
            let printed = ringside_struct(&arg, packed);
            // What a student copies compiles on its own, its _Static_asserts included...
            compile(cc, dir.path(), &format!("{name}_only"), &printed, false);
            // ...and what the compiler decided is what ringside says, member by member.
            let outer = frame.c_struct();
            let (main, want) = probe(&outer, packed);
            let exe = compile(cc, dir.path(), &name, &format!("{printed}\n{main}"), true);
            let out = Command::new(&exe).output().unwrap();
            assert!(out.status.success());
            let got: BTreeMap<String, usize> = String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(|l| {
                    let (k, v) = l.rsplit_once(' ').unwrap();
                    (k.to_string(), v.parse().unwrap())
                })
                .collect();
            assert_eq!(got, want, "{name}: the C compiler vs ringside");
        }
    }
}

/// The numbers the course and the lessons state, from the compiler's own mouth (the lines above
/// check they are ringside's too).
#[test]
fn the_course_struct_is_44_bytes_with_the_hole_after_the_ethernet_header() {
    let l = CourseFrame::Udp.c_struct().layout(false);
    let at = |n: &str| l.members.iter().find(|m| m.field.name == n).unwrap().offset;
    assert_eq!(
        (l.size, at("ip"), at("udp"), at("payload")),
        (44, 16, 36, 44)
    );
    assert_eq!(l.holes[0].0, 14..16);
    let p = CourseFrame::Udp.c_struct().layout(true);
    assert_eq!((p.size, p.holes.len()), (42, 0));
    // The ip header's own alignment is what moves it: `unsigned int sip`.
    let ip = CourseFrame::Udp.c_struct().fields[1].ty.clone();
    assert!(matches!(&ip, CDecl::Struct(s) if s.name == "iphdr"));
    assert_eq!(ip.size_align(false), (20, 4));
}

fn field(name: &'static str, ty: CDecl, bits: Option<u32>) -> CField {
    CField {
        name,
        ty,
        bits,
        wire: None,
    }
}

/// The layout rules themselves, beyond the course's structs: bit-fields that cannot share a unit
/// and move to the next one, a bit-field after a whole member, tail padding, an array of structs,
/// nesting two deep. Compiled by the system C compiler and compared member by member.
#[test]
fn the_layout_rules_match_the_c_compiler_on_harder_structs() {
    let Some(cc) = compiler() else {
        assert!(std::env::var("CI").is_err(), "CI must have a C compiler");
        eprintln!("skipped: no C compiler (install gcc and libc6-dev)");
        return;
    };
    use CDecl::*;
    let inner = CStruct {
        name: "inner",
        fields: vec![
            field("a", UChar, Some(5)),
            field("b", UChar, Some(4)), // does not fit the 3 bits left: next byte
            field("c", UShort, Some(12)),
            field("d", UShort, Some(6)), // 12 + 6 > 16: next unit
            field("e", UInt, None),
            field("f", UChar, None), // then 3 bytes of tail padding
        ],
    };
    let outer = CStruct {
        name: "outer",
        fields: vec![
            field("x", UChar, None),
            field("two", Array(Box::new(Struct(inner.clone())), 2), None),
            field("y", UShort, Some(3)),
            field("z", Array(Box::new(UShort), 3), None),
            field("tail", Array(Box::new(UChar), 0), None),
        ],
    };
    let dir = tempfile::tempdir().unwrap();
    for packed in [false, true] {
        let (main, want) = probe(&outer, packed);
        let src = format!(
            "#include <stddef.h>\n{}\n{main}",
            declarations(&outer, packed)
        );
        let name = format!("rules_{packed}");
        let exe = compile(cc, dir.path(), &name, &src, true);
        let out = Command::new(&exe).output().unwrap();
        let got: BTreeMap<String, usize> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (k, v) = l.rsplit_once(' ').unwrap();
                (k.to_string(), v.parse().unwrap())
            })
            .collect();
        assert_eq!(got, want, "packed={packed}: the C compiler vs ringside");
    }
    // The numbers themselves, so a reader sees what the rules gave.
    let l = inner.layout(false);
    assert_eq!(
        (l.size, l.align),
        (16, 4),
        "e at 8, f at 12, 3 bytes of tail padding"
    );
    assert_eq!(l.members[1].bit, Some((1, 0)), "b moved to the next byte");
    assert_eq!(
        l.members[3].bit,
        Some((4, 0)),
        "d moved to the next unsigned short"
    );
}
